import type { BusMessage } from "../platform/bus.js";
import type { Shortage } from "../platform/errors.js";
import { uuidv7 } from "../platform/ids.js";
import { newestFirstInMemory } from "../testing/in-memory.js";
import {
  deadlinePassed,
  heldBooking,
  holdFromStates,
  noStock,
  notEnoughTickets,
  type BookingRecord,
  type EndedStatus,
  type StockRecord,
} from "./domain/booking.js";
import type { BookingEvents, BookingFilter, EventsOf, HoldRequest, HoldResult, HoldSelector, HoldStore } from "./ports.js";

// The hold store in memory, for unit tests of the booking use cases. Each method does its work in one synchronous
// step after yielding to the event loop, so concurrent calls interleave between steps the way transactions do in
// PostgreSQL, and each step is atomic the way one transaction is: a refused change (an exception) changes nothing.

interface Bucket {
  total: number;
  held: number;
  sold: number;
}

interface MemoryStock {
  ticketId: string;
  eventId: string;
  buckets: Bucket[];
  createdAt: Date;
  updatedAt: Date;
}

/** A booking and the bucket its quantity was taken from. */
interface Stored {
  booking: BookingRecord;
  bucket: number;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const spare = (b: Bucket) => b.total - b.held - b.sold;
const sum = (buckets: readonly Bucket[], count: (b: Bucket) => number) => buckets.reduce((n, b) => n + count(b), 0);

export class MemoryHoldStore implements HoldStore {
  readonly stocks = new Map<string, MemoryStock>();
  readonly bookings = new Map<string, Stored>();
  /** Every event written, in commit order. */
  readonly outbox: BusMessage[] = [];

  constructor(private readonly events: BookingEvents) {}

  async createStock(ticketId: string, eventId: string, total: number, buckets: number): Promise<StockRecord | undefined> {
    await turn();
    if (!this.stocks.has(ticketId)) {
      const now = new Date();
      const split = Array.from({ length: buckets }, (_, i) => ({
        total: Math.floor(total / buckets) + (i < total % buckets ? 1 : 0),
        held: 0,
        sold: 0,
      }));
      this.stocks.set(ticketId, { ticketId, eventId, buckets: split, createdAt: now, updatedAt: now });
    }
    return this.#stock(ticketId);
  }

  async findStock(ticketId: string): Promise<StockRecord | undefined> {
    await turn();
    return this.#stock(ticketId);
  }

  #stock(ticketId: string): StockRecord | undefined {
    const s = this.stocks.get(ticketId);
    if (!s) return undefined;
    return {
      ticketId,
      eventId: s.eventId,
      total: sum(s.buckets, (b) => b.total),
      held: sum(s.buckets, (b) => b.held),
      sold: sum(s.buckets, (b) => b.sold),
      buckets: s.buckets.length,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
    };
  }

  async listStocks(eventId: string | undefined, after: string[] | undefined, limit: number): Promise<StockRecord[]> {
    await turn();
    const key = (s: MemoryStock) => `${s.eventId}/${s.ticketId}`;
    const from = after?.[0] !== undefined && after[1] !== undefined ? `${after[0]}/${after[1]}` : "";
    return [...this.stocks.values()]
      .filter((s) => (eventId === undefined || s.eventId === eventId) && key(s) > from)
      .sort((a, b) => key(a).localeCompare(key(b)))
      .slice(0, limit)
      .map((s) => this.#stock(s.ticketId) as StockRecord);
  }

  async deleteStock(ticketId: string): Promise<"deleted" | "busy" | "missing"> {
    await turn();
    const stock = this.stocks.get(ticketId);
    if (!stock) return "missing";
    if (stock.buckets.some((b) => b.held > 0 || b.sold > 0)) return "busy";
    this.stocks.delete(ticketId);
    return "deleted";
  }

  async hold(request: HoldRequest): Promise<HoldResult> {
    await turn();
    const now = new Date();
    if (request.deadline !== undefined && request.deadline <= now.getTime()) throw deadlinePassed();
    const existing = this.#ofOrder(request.orderId).sort((a, b) => a.ticketId.localeCompare(b.ticketId));
    if (existing.length > 0) return { bookings: existing, expiresAt: (existing[0] as BookingRecord).expiresAt, created: false };

    const missing = request.items.filter((item) => !this.stocks.has(item.ticketId)).map((item) => item.ticketId);
    if (missing.length > 0) throw noStock(missing);
    const shortages: Shortage[] = [];
    for (const item of request.items) {
      const available = sum((this.stocks.get(item.ticketId) as MemoryStock).buckets, spare);
      if (available < item.quantity) shortages.push({ ticketId: item.ticketId, requested: item.quantity, available: Math.max(0, available) });
    }
    if (shortages.length > 0) throw notEnoughTickets(shortages);

    const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000);
    const bookings = request.items.map((item): BookingRecord => {
      const stock = this.stocks.get(item.ticketId) as MemoryStock;
      const booking = heldBooking(uuidv7(), request.orderId, item, stock.eventId, expiresAt, now);
      this.bookings.set(booking.id, { booking, bucket: take(stock, item.quantity, now) });
      return { ...booking };
    });
    this.outbox.push(this.events.prepare("HELD", request.orderId, bookings, now));
    this.events.committed();
    return { bookings, expiresAt, created: true };
  }

  async listBookings(filter: BookingFilter, after: string[] | undefined, limit: number): Promise<BookingRecord[]> {
    await turn();
    const matching = [...this.bookings.values()]
      .map((s) => s.booking)
      .filter((b) => (filter.orderId === undefined || b.orderId === filter.orderId) && (filter.status === undefined || b.status === filter.status));
    return newestFirstInMemory(matching, after, limit).map((b) => ({ ...b }));
  }

  async confirm(
    orderId: string,
    paymentReference: string,
    decide: (bookings: readonly BookingRecord[]) => boolean,
    eventsOf: EventsOf,
  ): Promise<{ bookings: BookingRecord[]; changed: boolean }> {
    await turn();
    const bookings = this.#ofOrder(orderId).sort((a, b) => a.id.localeCompare(b.id));
    if (!decide(bookings)) return { bookings, changed: false };
    this.#end(bookings.map((b) => b.id), "CONFIRMED", paymentReference, eventsOf);
    return { bookings: this.#ofOrder(orderId).sort((a, b) => a.ticketId.localeCompare(b.ticketId)), changed: true };
  }

  async end(selector: HoldSelector, to: "RELEASED" | "EXPIRED", eventsOf: EventsOf): Promise<BookingRecord[]> {
    await turn();
    const all = [...this.bookings.values()].map((s) => s.booking);
    const now = Date.now();
    const ids =
      selector.kind === "order"
        ? all.filter((b) => b.orderId === selector.orderId).map((b) => b.id)
        : selector.kind === "ids"
          ? [...selector.ids]
          : all
              .filter((b) => holdFromStates(to).includes(b.status) && b.expiresAt.getTime() <= now)
              .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.id.localeCompare(b.id))
              .slice(0, selector.limit)
              .map((b) => b.id);
    return this.#end(ids, to, "", eventsOf);
  }

  #ofOrder(orderId: string): BookingRecord[] {
    return [...this.bookings.values()].filter((s) => s.booking.orderId === orderId).map((s) => ({ ...s.booking }));
  }

  /**
   * Ends those of the given bookings that may move to `to`, their quantities leaving `held` of their bucket (for
   * `sold` when confirmed), and writes `eventsOf(ended)`. The events are built before anything changes, so a failure
   * there changes nothing.
   */
  #end(ids: readonly string[], to: EndedStatus, paymentReference: string, eventsOf: EventsOf): BookingRecord[] {
    const from = holdFromStates(to);
    const now = new Date();
    const targets = [...new Set(ids)]
      .map((id) => this.bookings.get(id))
      .filter((s): s is Stored => s !== undefined && from.includes(s.booking.status))
      .sort((a, b) => a.booking.id.localeCompare(b.booking.id));
    const ended = targets.map((s): BookingRecord => ({ ...s.booking, status: to, updatedAt: now, paymentReference }));
    const messages = eventsOf(ended);
    targets.forEach((s, i) => {
      const stock = this.stocks.get(s.booking.ticketId) as MemoryStock;
      const bucket = stock.buckets[s.bucket] as Bucket;
      bucket.held -= s.booking.quantity;
      if (to === "CONFIRMED") bucket.sold += s.booking.quantity;
      stock.updatedAt = now;
      s.booking = ended[i] as BookingRecord;
    });
    this.outbox.push(...messages);
    return ended.map((b) => ({ ...b }));
  }
}

/**
 * Takes `quantity` from the fullest bucket of the stock, which first gets the spare capacity of the others when it
 * lacks some (as booking.hold_batch does: the stock is exact across its buckets). Returns the bucket's index.
 */
function take(stock: MemoryStock, quantity: number, now: Date): number {
  const buckets = stock.buckets;
  let best = 0;
  buckets.forEach((b, i) => {
    if (spare(b) > spare(buckets[best] as Bucket)) best = i;
  });
  const target = buckets[best] as Bucket;
  for (const other of buckets) {
    if (spare(target) >= quantity) break;
    const moved = other === target ? 0 : Math.min(spare(other), quantity - spare(target));
    other.total -= moved;
    target.total += moved;
  }
  target.held += quantity;
  stock.updatedAt = now;
  return best;
}
