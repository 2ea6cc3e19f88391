import { defineEntity, p, type Constructor } from "@mikro-orm/core";
import { Migration } from "@mikro-orm/migrations";

// The outbox and processed-event tables every service schema has. No schema is named here: each service's ORM
// binds them to its own schema.

const OutboxEventSchema = defineEntity({
  name: "OutboxEvent",
  tableName: "outbox",
  properties: {
    id: p.bigint().primary().autoincrement(),
    eventId: p.uuid(),
    topic: p.text(),
    key: p.text(),
    type: p.text(),
    payload: p.blob(),
    traceContext: p.text().nullable(),
    createdAt: p.datetime().defaultRaw("now()"),
    publishedAt: p.datetime().nullable(),
  },
});
export class OutboxEvent extends OutboxEventSchema.class {}
OutboxEventSchema.setClass(OutboxEvent);

const ProcessedEventSchema = defineEntity({
  name: "ProcessedEvent",
  tableName: "processed_event",
  properties: {
    eventId: p.uuid().primary(),
    processedAt: p.datetime().defaultRaw("now()"),
  },
});
export class ProcessedEvent extends ProcessedEventSchema.class {}
ProcessedEventSchema.setClass(ProcessedEvent);

export const outboxEntities = [OutboxEventSchema, ProcessedEventSchema];

/** DDL of the two tables, for each service's first migration. */
export function outboxDdl(schema: string): string[] {
  return [
    `create table ${schema}.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`,
    `create index outbox_unpublished_idx on ${schema}.outbox (id) where published_at is null`,
    `create table ${schema}.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`,
  ];
}

/** Name of the migration every service schema takes to add the outbox's trace context column. */
export const OUTBOX_TRACE_CONTEXT = "Migration20261126000000_outbox_trace_context";

/**
 * The migration that gives `schema`'s outbox a trace_context column: the W3C traceparent of the span that wrote the
 * event, sent as a Kafka header so consumers continue the trace (ADR 0011). Null while tracing is off.
 */
export function outboxTraceContextMigration(schema: string): Constructor<Migration> {
  return class extends Migration {
    override up(): void {
      this.addSql(`alter table ${schema}.outbox add column trace_context text null`);
    }
  };
}
