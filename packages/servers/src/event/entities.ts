import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";
import { requestKeyEntities } from "../platform/request-key-entities.js";

const EventSchema = defineEntity({
  name: "Event",
  tableName: "event",
  checks: [
    { name: "event_status_known", expression: "status in ('CREATING', 'ACTIVE')" },
    { name: "event_ends_after_start", expression: "ends_at > starts_at" },
  ],
  uniques: [{ name: "event_idempotency", properties: ["createdBy", "idempotencyKey"] }],
  indexes: [{ name: "event_listing_index", properties: ["startsAt", "id"], where: "status = 'ACTIVE'" }],
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    description: p.text(),
    venueName: p.text(),
    venueLocation: p.text(),
    startsAt: p.datetime(),
    endsAt: p.datetime(),
    /** CREATING until the stock of every ticket type exists; only ACTIVE events are visible. */
    status: p.text(),
    createdBy: p.text(),
    idempotencyKey: p.text(),
    requestHash: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
    ticketTypes: () => p.oneToMany(TicketType).mappedBy("event").orderBy({ position: "asc" }),
  },
});
export class Event extends EventSchema.class {}
EventSchema.setClass(Event);

const TicketTypeSchema = defineEntity({
  name: "TicketType",
  tableName: "ticket_type",
  checks: [
    { name: "ticket_type_price_non_negative", expression: "price_minor >= 0" },
    { name: "ticket_type_capacity_positive", expression: "capacity > 0" },
    { name: "ticket_type_stock_buckets_range", expression: "stock_buckets >= 1 and stock_buckets <= 64" },
  ],
  uniques: [{ name: "ticket_type_name_unique", properties: ["event", "name"] }],
  indexes: [{ name: "ticket_type_event_index", properties: ["event", "position"] }],
  properties: {
    id: p.uuid().primary(),
    event: () => p.manyToOne(Event).deleteRule("cascade").foreignKeyName("ticket_type_event_id_fkey"),
    name: p.text(),
    priceMinor: p.bigint("bigint"),
    currency: p.string().columnType("char(3)"),
    capacity: p.integer(),
    stockBuckets: p.smallint().default(1),
    position: p.integer(),
  },
});
export class TicketType extends TicketTypeSchema.class {}
TicketTypeSchema.setClass(TicketType);

export const eventEntities = [EventSchema, TicketTypeSchema, ...outboxEntities, ...requestKeyEntities];
