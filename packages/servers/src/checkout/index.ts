import type { ServiceSchema } from "../platform/db.js";
import { migrations } from "./migrations/index.js";
import { checkoutEntities } from "./entities.js";

/** The checkout service's schema, entities and migrations, in order. */
export const checkoutSchema: ServiceSchema = {
  schema: "checkout",
  entities: checkoutEntities,
  migrations,
};
