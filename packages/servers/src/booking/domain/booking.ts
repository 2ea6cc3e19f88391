// The rules of holds. A booking is HELD until exactly one of three things ends it: the order is paid (CONFIRMED),
// cancelled or failed (RELEASED), or its time runs out (EXPIRED). Ending is done by one conditional statement per
// batch in the repository (`status = 'HELD'` under a row lock), so a hold ends once however many callers race.

import { DomainError, type Shortage } from "../../platform/errors.js";

export type BookingStatus = "HELD" | "CONFIRMED" | "RELEASED" | "EXPIRED";
export type EndedStatus = Exclude<BookingStatus, "HELD">;

/** The moves a hold may make: HELD ends exactly once, as a sale, a release or an expiry; an ended hold stays so. */
const TRANSITIONS: Readonly<Record<BookingStatus, readonly BookingStatus[]>> = {
  HELD: ["CONFIRMED", "RELEASED", "EXPIRED"],
  CONFIRMED: [],
  RELEASED: [],
  EXPIRED: [],
};

/** The states a hold can reach `to` from, read off the transition table: the condition of the statement ending holds. */
export function holdFromStates(to: BookingStatus): BookingStatus[] {
  return (Object.keys(TRANSITIONS) as BookingStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

export interface BookingRecord {
  id: string;
  orderId: string;
  ticketId: string;
  eventId: string;
  quantity: number;
  status: BookingStatus;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  /** The payment that confirmed it; empty unless CONFIRMED. */
  paymentReference: string;
}

export interface StockRecord {
  ticketId: string;
  eventId: string;
  total: number;
  held: number;
  sold: number;
  /** How many rows (buckets) the stock is split over; the counts are their sums. */
  buckets: number;
  createdAt: Date;
  updatedAt: Date;
}

export const available = (s: StockRecord) => s.total - s.held - s.sold;

/** One line of a hold request. */
export interface HoldItem {
  ticketId: string;
  quantity: number;
}

/** A new hold of one item for an order. */
export function heldBooking(id: string, orderId: string, item: HoldItem, eventId: string, expiresAt: Date, now: Date): BookingRecord {
  return {
    id,
    orderId,
    ticketId: item.ticketId,
    eventId,
    quantity: item.quantity,
    status: "HELD",
    expiresAt,
    createdAt: now,
    updatedAt: now,
    paymentReference: "",
  };
}

/** Limits of a hold request. */
export const MAX_ITEMS_PER_ORDER = 20;
export const MAX_QUANTITY_PER_ITEM = 100;
export const MAX_STOCK_TOTAL = 1_000_000;
export const MAX_STOCK_BUCKETS = 64;
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 86_400;

/** A hold refused because some items are short: nothing was held. */
export const notEnoughTickets = (shortages: Shortage[]) =>
  new DomainError(
    "ResourceExhausted",
    `not enough tickets: ${shortages.map((s) => `${s.ticketId} has ${s.available}, ${s.requested} requested`).join("; ")}`,
    { shortages },
  );

export const deadlinePassed = () =>
  new DomainError("DeadlineExceeded", "the caller's deadline passed before the stock could be held; nothing was held");

export const noStock = (ticketIds: readonly string[]) => new DomainError("NotFound", `no stock for ticket ${ticketIds.join(", ")}`);

/** Groups ended bookings by order: one event per order and change. */
export function byOrder(bookings: readonly BookingRecord[]): Map<string, BookingRecord[]> {
  const groups = new Map<string, BookingRecord[]>();
  for (const b of bookings) {
    const list = groups.get(b.orderId);
    if (list) list.push(b);
    else groups.set(b.orderId, [b]);
  }
  return groups;
}

/** Why an order's holds cannot be confirmed, or undefined when they can. */
export function confirmRefusal(bookings: readonly BookingRecord[], now: Date): string | undefined {
  const ended = bookings.find((b) => b.status === "RELEASED" || b.status === "EXPIRED");
  if (ended) return `the order's holds were ${ended.status === "EXPIRED" ? "expired" : "released"}`;
  if (bookings.some((b) => b.status === "HELD" && b.expiresAt <= now)) return "the order's holds have expired";
  return undefined;
}
