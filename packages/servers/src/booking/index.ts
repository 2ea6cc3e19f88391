import type { ServiceSchema } from "../platform/db.js";
import { migrations } from "./migrations/index.js";
import { bookingEntities } from "./entities.js";

/** The booking service's schema, entities and migrations, in order. */
export const bookingSchema: ServiceSchema = {
  schema: "booking",
  entities: bookingEntities,
  migrations,
};
