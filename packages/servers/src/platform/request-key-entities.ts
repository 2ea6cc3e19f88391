import { defineEntity, p } from "@mikro-orm/core";

// The idempotency keys a service has seen, each bound to the hash of its first request (platform/idempotency.ts).
// No schema is named here: each service's ORM binds the table to its own schema.

const RequestKeySchema = defineEntity({
  name: "RequestKey",
  tableName: "request_key",
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
