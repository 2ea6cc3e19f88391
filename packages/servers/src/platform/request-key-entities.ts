import { defineEntity, p } from "@mikro-orm/core";

// The idempotency keys a service has seen, each bound to the hash of its first request (platform/idempotency.ts).
// No schema is named here: each service's ORM binds the table to its own schema. Keys older than the retention
// (TICKETING_IDEMPOTENCY_RETENTION) are deleted by a job of every process, oldest first through the created_at index.

const RequestKeySchema = defineEntity({
  name: "RequestKey",
  tableName: "request_key",
  indexes: [{ name: "request_key_created_at_idx", properties: ["createdAt"] }],
  properties: {
    caller: p.text().primary(),
    method: p.text().primary(),
    key: p.text().primary(),
    requestHash: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
class RequestKey extends RequestKeySchema.class {}
RequestKeySchema.setClass(RequestKey);

export const requestKeyEntities = [RequestKeySchema];

/** Whether a service's entities include the key table (a service without mutations that take keys has none). */
export const keepsRequestKeys = (entities: readonly unknown[]): boolean => entities.includes(RequestKeySchema);
