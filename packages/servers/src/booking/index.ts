import type { ServiceSchema } from "../platform/db.js";
import { bookingEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";

/** The booking service's schema, entities and migrations, in order. */
export const bookingSchema: ServiceSchema = {
  schema: "booking",
  entities: bookingEntities,
  migrations: [{ name: "Migration20261124000000_initial", class: Migration20261124000000_initial }],
};
