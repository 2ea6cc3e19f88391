import type { BusMessage } from "../platform/bus.js";
import type { Em } from "../platform/db.js";
import type { BookingRecord } from "./domain/booking.js";

// What the booking service's use cases need from outside them.

export type BookingEventType = "HELD" | "CONFIRMED" | "RELEASED" | "EXPIRED";

/** What the booking service publishes when holds change, written to its outbox in the same transaction. */
export interface BookingEvents {
  /** The event as it will be written, for statements that write the outbox themselves. */
  prepare(type: BookingEventType, orderId: string, bookings: readonly BookingRecord[], at?: Date): BusMessage;
  /** Enqueues one event per order for the given change, inside `tx`. */
  record(tx: Em, type: BookingEventType, orderId: string, bookings: BookingRecord[]): Promise<void>;
  /** Called after a commit that recorded events, to publish them promptly. */
  committed(): void;
}
