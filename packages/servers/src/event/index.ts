import type { ServiceSchema } from "../platform/db.js";
import { migrations } from "./migrations/index.js";
import { eventEntities } from "./entities.js";

/** The event service's schema, entities and migrations, in order. */
export const eventSchema: ServiceSchema = {
  schema: "event",
  entities: eventEntities,
  migrations,
};
