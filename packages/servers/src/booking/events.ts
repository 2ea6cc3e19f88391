import { create, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { booking as pb } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { TOPICS } from "../platform/bus.js";
import type { Em } from "../platform/db.js";
import { enqueue } from "../platform/outbox.js";
import type { BookingRecord } from "./domain/booking.js";
import { bookingToPb } from "./handler.js";
import type { BookingEvents } from "./service.js";

const TYPES = {
  HELD: pb.BookingEventType.HELD,
  CONFIRMED: pb.BookingEventType.CONFIRMED,
  RELEASED: pb.BookingEventType.RELEASED,
  EXPIRED: pb.BookingEventType.EXPIRED,
} as const;

/** Booking events as protobuf BookingEvent messages in the booking schema's outbox. */
export function outboxBookingEvents(wake: () => void): BookingEvents {
  return {
    async record(tx: Em, type: keyof typeof TYPES, orderId: string, bookings: BookingRecord[]) {
      const eventId = randomUUID();
      const message = create(pb.BookingEventSchema, {
        eventId,
        occurredAt: timestampNow(),
        orderId,
        type: TYPES[type],
        bookings: bookings.map(bookingToPb),
      });
      await enqueue(tx, "booking", [
        {
          topic: TOPICS.bookingEvents,
          key: orderId,
          type: `BOOKING_EVENT_TYPE_${type}`,
          eventId,
          value: toBinary(pb.BookingEventSchema, message),
        },
      ]);
    },
    committed: wake,
  };
}
