// The booking service's mapping between its domain types and the protobuf messages, in both directions: the
// handlers and the events use it, nothing else converts.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { booking as pb } from "@ticketing/sdk";
import { available, type BookingRecord, type BookingStatus, type StockRecord } from "./domain/booking.js";

const STATUS_TO_PB: Record<BookingStatus, pb.BookingStatus> = {
  HELD: pb.BookingStatus.HELD,
  CONFIRMED: pb.BookingStatus.CONFIRMED,
  RELEASED: pb.BookingStatus.RELEASED,
  EXPIRED: pb.BookingStatus.EXPIRED,
};
export const STATUS_FROM_PB = new Map(Object.entries(STATUS_TO_PB).map(([k, v]) => [v, k as BookingStatus]));

export function bookingToPb(b: BookingRecord): pb.Booking {
  return create(pb.BookingSchema, {
    id: b.id,
    orderId: b.orderId,
    ticketId: b.ticketId,
    eventId: b.eventId,
    quantity: b.quantity,
    status: STATUS_TO_PB[b.status],
    expiresAt: timestampFromDate(b.expiresAt),
    createdAt: timestampFromDate(b.createdAt),
    updatedAt: timestampFromDate(b.updatedAt),
    paymentReference: b.paymentReference,
  });
}

export function stockToPb(s: StockRecord): pb.Stock {
  return create(pb.StockSchema, {
    ticketId: s.ticketId,
    eventId: s.eventId,
    total: s.total,
    held: s.held,
    sold: s.sold,
    available: available(s),
    buckets: s.buckets,
    createdAt: timestampFromDate(s.createdAt),
    updatedAt: timestampFromDate(s.updatedAt),
  });
}

/** Translates BookingService RPCs to use cases: validation and proto ↔ domain, nothing else. */
