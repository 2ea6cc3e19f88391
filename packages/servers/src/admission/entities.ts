import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const TicketSchema = defineEntity({
  name: "Ticket",
  tableName: "ticket",
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
    revocationVersion: p.bigint().nullable().unique(),
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

export const admissionEntities = [TicketSchema, SigningKeySchema, ...outboxEntities];
