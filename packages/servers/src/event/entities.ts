import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const EventSchema = defineEntity({
  name: "Event",
  tableName: "event",
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
  properties: {
    id: p.uuid().primary(),
    event: () => p.manyToOne(Event),
    name: p.text(),
    priceMinor: p.bigint("bigint"),
    currency: p.string().length(3),
    capacity: p.integer(),
    stockBuckets: p.smallint().default(1),
    position: p.integer(),
  },
});
export class TicketType extends TicketTypeSchema.class {}
TicketTypeSchema.setClass(TicketType);

export const eventEntities = [EventSchema, TicketTypeSchema, ...outboxEntities];
