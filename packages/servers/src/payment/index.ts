import type { ServiceSchema } from "../platform/db.js";
import { OUTBOX_TRACE_CONTEXT, outboxTraceContextMigration } from "../platform/outbox-entities.js";
import { paymentEntities } from "./entities.js";
import { Migration20261126000000_initial } from "./migrations/Migration20261126000000_initial.js";

/** The payment service's schema, entities and migrations, in order. */
export const paymentSchema: ServiceSchema = {
  schema: "payment",
  entities: paymentEntities,
  migrations: [
    { name: "Migration20261126000000_initial", class: Migration20261126000000_initial },
    { name: OUTBOX_TRACE_CONTEXT, class: outboxTraceContextMigration("payment") },
  ],
};
