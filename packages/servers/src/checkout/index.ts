import type { ServiceSchema } from "../platform/db.js";
import { checkoutEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";

/** The checkout service's schema, entities and migrations, in order. */
export const checkoutSchema: ServiceSchema = {
  schema: "checkout",
  entities: checkoutEntities,
  migrations: [{ name: "Migration20261124000000_initial", class: Migration20261124000000_initial }],
};
