import type { ServiceSchema } from "../platform/db.js";
import { paymentEntities } from "./entities.js";
import { migrations } from "./migrations/index.js";

/** The payment service's schema, entities and migrations, in order. */
export const paymentSchema: ServiceSchema = {
  schema: "payment",
  entities: paymentEntities,
  migrations,
};
