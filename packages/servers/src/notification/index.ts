import type { ServiceSchema } from "../platform/db.js";
import { migrations } from "./migrations/index.js";
import { notificationEntities } from "./entities.js";

/** The notification service's schema, entities and migrations, in order. */
export const notificationSchema: ServiceSchema = {
  schema: "notification",
  entities: notificationEntities,
  migrations,
};
