import { OUTBOX_TRACE_CONTEXT, outboxTraceContextMigration } from "../platform/outbox-entities.js";
import type { ServiceSchema } from "../platform/db.js";
import { bookingEntities } from "./entities.js";
import { Migration20261124000000_initial } from "./migrations/Migration20261124000000_initial.js";
import { Migration20261125000000_buckets_and_batched_holds } from "./migrations/Migration20261125000000_buckets_and_batched_holds.js";
import { Migration20261125010000_payment_reference } from "./migrations/Migration20261125010000_payment_reference.js";
import { Migration20261125020000_hold_batch_index_probe } from "./migrations/Migration20261125020000_hold_batch_index_probe.js";
import { Migration20261125040000_outbox_event_id_not_indexed } from "./migrations/Migration20261125040000_outbox_event_id_not_indexed.js";
import { Migration20261126000000_request_keys } from "./migrations/Migration20261126000000_request_keys.js";

/** The booking service's schema, entities and migrations, in order. */
export const bookingSchema: ServiceSchema = {
  schema: "booking",
  entities: bookingEntities,
  migrations: [
    { name: "Migration20261124000000_initial", class: Migration20261124000000_initial },
    { name: "Migration20261125000000_buckets_and_batched_holds", class: Migration20261125000000_buckets_and_batched_holds },
    { name: "Migration20261125010000_payment_reference", class: Migration20261125010000_payment_reference },
    { name: "Migration20261125020000_hold_batch_index_probe", class: Migration20261125020000_hold_batch_index_probe },
    { name: "Migration20261125040000_outbox_event_id_not_indexed", class: Migration20261125040000_outbox_event_id_not_indexed },
    { name: "Migration20261126000000_request_keys", class: Migration20261126000000_request_keys },
    { name: OUTBOX_TRACE_CONTEXT, class: outboxTraceContextMigration("booking") },
  ],
};
