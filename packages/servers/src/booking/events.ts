import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { booking as pb } from "@ticketing/sdk";
import { TOPICS, type BusMessage } from "../platform/bus.js";
import type { BookingRecord } from "./domain/booking.js";
import { bookingToPb } from "./mapping.js";
import type { BookingEventType, BookingEvents } from "./ports.js";
import { uuidv7 } from "../platform/ids.js";

const TYPES = {
  HELD: pb.BookingEventType.HELD,
  CONFIRMED: pb.BookingEventType.CONFIRMED,
  RELEASED: pb.BookingEventType.RELEASED,
  EXPIRED: pb.BookingEventType.EXPIRED,
} as const;

/** Booking events as protobuf BookingEvent messages in the booking schema's outbox. */
export function outboxBookingEvents(wake: () => void): BookingEvents {
  const prepare = (type: BookingEventType, orderId: string, bookings: readonly BookingRecord[], at = new Date()): BusMessage => {
    const eventId = uuidv7();
    const message = create(pb.BookingEventSchema, {
      eventId,
      occurredAt: timestampFromDate(at),
      orderId,
      type: TYPES[type],
      bookings: bookings.map(bookingToPb),
    });
    return {
      topic: TOPICS.bookingEvents,
      key: orderId,
      type: `BOOKING_EVENT_TYPE_${type}`,
      eventId,
      value: toBinary(pb.BookingEventSchema, message),
    };
  };
  return { prepare, committed: wake };
}
