import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const StockSchema = defineEntity({
  name: "Stock",
  tableName: "stock",
  properties: {
    ticketId: p.uuid().primary(),
    /** A stock may be split over several rows (buckets) so replicas holding at once do not queue on one row. */
    bucket: p.smallint().primary(),
    buckets: p.smallint().default(1),
    eventId: p.uuid().index(),
    total: p.integer(),
    held: p.integer().default(0),
    sold: p.integer().default(0),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export class Stock extends StockSchema.class {}
StockSchema.setClass(Stock);

const BookingSchema = defineEntity({
  name: "Booking",
  tableName: "booking",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    ticketId: p.uuid(),
    eventId: p.uuid(),
    quantity: p.integer(),
    status: p.text(),
    expiresAt: p.datetime(),
    /** The stock bucket the quantity was taken from, and goes back to. */
    bucket: p.smallint().default(0),
    paymentReference: p.text().default(""),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export class Booking extends BookingSchema.class {}
BookingSchema.setClass(Booking);

export const bookingEntities = [StockSchema, BookingSchema, ...outboxEntities];
