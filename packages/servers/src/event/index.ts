import { OUTBOX_TRACE_CONTEXT, outboxTraceContextMigration } from "../platform/outbox-entities.js";
import type { ServiceSchema } from "../platform/db.js";
import { eventEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";
import { Migration20261125000000_stock_buckets } from "./migrations/Migration20261125000000_stock_buckets.js";
import { Migration20261125040000_outbox_event_id_not_indexed } from "./migrations/Migration20261125040000_outbox_event_id_not_indexed.js";
import { Migration20261126000000_request_keys } from "./migrations/Migration20261126000000_request_keys.js";

/** The event service's schema, entities and migrations, in order. */
export const eventSchema: ServiceSchema = {
  schema: "event",
  entities: eventEntities,
  migrations: [
    { name: "Migration20261124000000_initial", class: Migration20261124000000_initial },
    { name: "Migration20261125000000_stock_buckets", class: Migration20261125000000_stock_buckets },
    { name: "Migration20261125040000_outbox_event_id_not_indexed", class: Migration20261125040000_outbox_event_id_not_indexed },
    { name: "Migration20261126000000_request_keys", class: Migration20261126000000_request_keys },
    { name: OUTBOX_TRACE_CONTEXT, class: outboxTraceContextMigration("event") },
  ],
};
