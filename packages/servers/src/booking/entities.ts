import { defineEntity, p } from "@mikro-orm/core";
import type { TablesOf } from "../platform/db.js";
import { outboxEntities } from "../platform/outbox-entities.js";
import { requestKeyEntities } from "../platform/request-key-entities.js";
import type { BookingStatus } from "./domain/booking.js";

const StockSchema = defineEntity({
  name: "Stock",
  tableName: "stock",
  checks: [
    { name: "stock_total_non_negative", expression: "total >= 0" },
    { name: "stock_held_non_negative", expression: "held >= 0" },
    { name: "stock_sold_non_negative", expression: "sold >= 0" },
    { name: "stock_within_total", expression: "held + sold <= total" },
    { name: "stock_bucket_in_range", expression: "bucket >= 0 and bucket < buckets and buckets <= 64" },
  ],
  indexes: [{ name: "stock_event_id_index", properties: ["eventId", "ticketId", "bucket"] }],
  properties: {
    ticketId: p.uuid().primary(),
    /** A stock may be split over several rows (buckets) so replicas holding at once do not queue on one row. */
    bucket: p.smallint().primary().default(0),
    buckets: p.smallint().default(1),
    eventId: p.uuid(),
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
  checks: [
    { name: "booking_quantity_positive", expression: "quantity > 0" },
    { name: "booking_status_known", expression: "status in ('HELD', 'CONFIRMED', 'RELEASED', 'EXPIRED')" },
  ],
  uniques: [{ name: "booking_one_per_order_and_ticket", properties: ["orderId", "ticketId"] }],
  indexes: [
    { name: "booking_due_index", properties: ["expiresAt"], where: "status = 'HELD'" },
    { name: "booking_created_index", columns: [{ name: "created_at", sort: "desc" }, { name: "id" }] },
  ],
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    ticketId: p.uuid(),
    eventId: p.uuid(),
    quantity: p.integer(),
    status: p.text().$type<BookingStatus>(),
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

export const bookingEntities = [StockSchema, BookingSchema, ...outboxEntities, ...requestKeyEntities];

/** Hand-written statements' view of the booking schema. */
export type BookingTables = TablesOf<(typeof bookingEntities)[number]>;
export type BookingEntity = (typeof bookingEntities)[number];
