import { OUTBOX_TRACE_CONTEXT, outboxTraceContextMigration } from "../platform/outbox-entities.js";
import type { ServiceSchema } from "../platform/db.js";
import { notificationEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";
import { Migration20261125040000_outbox_event_id_not_indexed } from "./migrations/Migration20261125040000_outbox_event_id_not_indexed.js";

/** The notification service's schema, entities and migrations, in order. */
export const notificationSchema: ServiceSchema = {
  schema: "notification",
  entities: notificationEntities,
  migrations: [
    { name: "Migration20261124000000_initial", class: Migration20261124000000_initial },
    { name: "Migration20261125040000_outbox_event_id_not_indexed", class: Migration20261125040000_outbox_event_id_not_indexed },
    { name: OUTBOX_TRACE_CONTEXT, class: outboxTraceContextMigration("notification") },
  ],
};
