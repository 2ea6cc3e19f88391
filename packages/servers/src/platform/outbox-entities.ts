import { defineEntity, p } from "@mikro-orm/core";

// The outbox and processed-event tables every service schema has. No schema is named here: each service's ORM
// binds them to its own schema.

const OutboxEventSchema = defineEntity({
  name: "OutboxEvent",
  tableName: "outbox",
  indexes: [{ name: "outbox_unpublished_idx", properties: ["id"], where: "published_at is null" }],
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
class OutboxEvent extends OutboxEventSchema.class {}
OutboxEventSchema.setClass(OutboxEvent);

const ProcessedEventSchema = defineEntity({
  name: "ProcessedEvent",
  tableName: "processed_event",
  properties: {
    eventId: p.uuid().primary(),
    processedAt: p.datetime().defaultRaw("now()"),
  },
});
class ProcessedEvent extends ProcessedEventSchema.class {}
ProcessedEventSchema.setClass(ProcessedEvent);

export const outboxEntities = [OutboxEventSchema, ProcessedEventSchema];
