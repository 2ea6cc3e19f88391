import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const StockSchema = defineEntity({
  name: "Stock",
  tableName: "stock",
  properties: {
    ticketId: p.uuid().primary(),
    eventId: p.uuid().index(),
    total: p.integer(),
    held: p.integer().default(0),
    sold: p.integer().default(0),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export class Stock extends StockSchema.class {
  get available(): number {
    return this.total - this.held - this.sold;
  }
}
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
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export class Booking extends BookingSchema.class {}
BookingSchema.setClass(Booking);

export const bookingEntities = [StockSchema, BookingSchema, ...outboxEntities];
