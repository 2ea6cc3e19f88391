import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";
import { requestKeyEntities } from "../platform/request-key-entities.js";

const TicketSchema = defineEntity({
  name: "Ticket",
  tableName: "ticket",
  checks: [
    { name: "ticket_number_positive", expression: "number > 0" },
    { name: "ticket_revocation_complete", expression: "(revoked_at is null) = (revocation_version is null)" },
    { name: "ticket_check_in_complete", expression: "(checked_in_at is null) = (checked_in_gate is null)" },
  ],
  uniques: [{ name: "ticket_one_per_unit", properties: ["orderId", "number"] }],
  indexes: [
    // Written as SQL: MikroORM 7.2.1 reads the sort order of "id" back from "user_id" / "event_id" when it
    // introspects these indexes, so a declared (…, id desc) would be seen as changed on every comparison.
    { name: "ticket_user_index", expression: `create index "ticket_user_index" on "admission"."ticket" (user_id, issued_at desc, id desc)` },
    { name: "ticket_issued_index", columns: [{ name: "issued_at", sort: "desc" }, { name: "id", sort: "desc" }] },
    {
      name: "ticket_check_in_index",
      expression: `create index "ticket_check_in_index" on "admission"."ticket" (event_id, check_in_recorded_at desc, id desc) where checked_in_at is not null`,
    },
  ],
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    userId: p.text(),
    eventId: p.uuid(),
    ticketTypeId: p.uuid(),
    ticketTypeName: p.text(),
    number: p.integer(),
    sourceEventId: p.uuid(),
    issuedAt: p.datetime().defaultRaw("now()"),
    revokedAt: p.datetime().nullable(),
    revocationReason: p.text().default(""),
    revocationVersion: p.bigint().nullable().unique("ticket_revocation_version_unique"),
    checkedInAt: p.datetime().nullable(),
    checkedInGate: p.text().nullable(),
    checkInScanId: p.text().nullable(),
    checkInOffline: p.boolean().default(false),
    checkInRecordedAt: p.datetime().nullable(),
  },
});
class Ticket extends TicketSchema.class {}
TicketSchema.setClass(Ticket);

const SigningKeySchema = defineEntity({
  name: "SigningKey",
  tableName: "signing_key",
  properties: {
    keyId: p.text().primary(),
    privateKey: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
class SigningKey extends SigningKeySchema.class {}
SigningKeySchema.setClass(SigningKey);

export const admissionEntities = [TicketSchema, SigningKeySchema, ...outboxEntities, ...requestKeyEntities];
