import type { BusMessage } from "../platform/bus.js";
import type { BookingRecord, BookingStatus, EndedStatus, HoldItem, StockRecord } from "./domain/booking.js";

// What the booking service's use cases need from outside them. The PostgreSQL store (store.ts) implements the
// storage on the repository's statements and the hold strategies of holds.ts; unit tests run the use cases on an
// in-memory one (memory-store.ts).

export type BookingEventType = "HELD" | "CONFIRMED" | "RELEASED" | "EXPIRED";

/** What the booking service publishes when holds change, written to its outbox in the same transaction. */
export interface BookingEvents {
  /** The event as the store will write it, with the change. */
  prepare(type: BookingEventType, orderId: string, bookings: readonly BookingRecord[], at?: Date): BusMessage;
  /** Called after a commit that wrote events, to publish them promptly. */
  committed(): void;
}

export interface HoldRequest {
  orderId: string;
  /** Distinct ticket types, sorted by ticket id. */
  items: readonly HoldItem[];
  ttlSeconds: number;
  /** Epoch milliseconds after which the caller no longer waits: nothing is held after it. */
  deadline: number | undefined;
}

export interface HoldResult {
  bookings: BookingRecord[];
  expiresAt: Date;
  /** False when the order already had holds and nothing new was held. */
  created: boolean;
}

/** Which HELD bookings to end. */
export type HoldSelector =
  | { kind: "order"; orderId: string }
  | { kind: "ids"; ids: readonly string[] }
  | { kind: "due"; limit: number };

/** The events a change writes, built from the bookings it ended; written by the store in the change's transaction. */
export type EventsOf = (ended: readonly BookingRecord[]) => BusMessage[];

export interface BookingFilter {
  orderId?: string | undefined;
  status?: BookingStatus | undefined;
}

export interface HoldStore {
  /** Creates the stock split over `buckets` rows unless one exists (which is left as it is); returns the stock then. */
  createStock(ticketId: string, eventId: string, total: number, buckets: number): Promise<StockRecord | undefined>;
  findStock(ticketId: string): Promise<StockRecord | undefined>;
  /** Stocks ordered by (event id, ticket id), after the given key. */
  listStocks(eventId: string | undefined, after: string[] | undefined, limit: number): Promise<StockRecord[]>;
  /** Deletes a stock (every bucket) that has nothing held or sold; "busy" when it has, "missing" when there is none. */
  deleteStock(ticketId: string): Promise<"deleted" | "busy" | "missing">;
  /**
   * Holds every item for the order or none, with its HELD event, and calls `committed()` of the events once that is
   * committed. Idempotent per order: an order that has holds gets them back (`created: false`). Throws NotFound for a
   * ticket type without stock, ResourceExhausted (with the shortages) when any item is short, DeadlineExceeded when
   * the deadline passed before the stock could be taken.
   */
  hold(request: HoldRequest): Promise<HoldResult>;
  /** Bookings newest first, after the given (created_at, id) key. */
  listBookings(filter: BookingFilter, after: string[] | undefined, limit: number): Promise<BookingRecord[]>;
  /**
   * In one transaction: locks the order's bookings and hands them to `decide`, which throws to refuse and answers
   * whether to confirm; if so, confirms the HELD ones with the payment (their quantities sold) and writes
   * `eventsOf(confirmed)`. Returns the order's bookings afterwards and whether anything changed.
   */
  confirm(
    orderId: string,
    paymentReference: string,
    decide: (bookings: readonly BookingRecord[]) => boolean,
    eventsOf: EventsOf,
  ): Promise<{ bookings: BookingRecord[]; changed: boolean }>;
  /**
   * Ends the selected holds that are still HELD (due ones: oldest first, ones another caller is ending skipped) and
   * returns their quantities to the stock, writing `eventsOf(ended)`, in one transaction: however calls race, a hold
   * ends once. Returns the bookings this call ended.
   */
  end(selector: HoldSelector, to: Exclude<EndedStatus, "CONFIRMED">, eventsOf: EventsOf): Promise<BookingRecord[]>;
}
