import { DomainError, notFound, stateConflict } from "../platform/errors.js";
import {
  byOrder,
  confirmRefusal,
  type BookingRecord,
  type EndedStatus,
  type HoldItem,
  type StockRecord,
} from "./domain/booking.js";
import type { BookingEvents, BookingFilter, HoldResult, HoldSelector, HoldStore } from "./ports.js";

/** Use cases of the booking service. Inputs are validated by the handler. */
export class BookingService {
  /** Holds in progress per order, so concurrent calls for one order share one attempt. */
  readonly #holding = new Map<string, Promise<HoldResult>>();

  constructor(
    private readonly store: HoldStore,
    private readonly events: BookingEvents,
    private readonly defaultTtlSeconds: number,
  ) {}

  /** Creates the stock, split over `buckets` rows. Idempotent for the same total and split. */
  async createStock(ticketId: string, eventId: string, total: number, buckets = 1): Promise<StockRecord> {
    const existing = await this.store.createStock(ticketId, eventId, total, buckets);
    if (!existing) throw new DomainError("Aborted", `stock ${ticketId} changed concurrently; retry`);
    if (existing.total !== total || existing.eventId !== eventId || existing.buckets !== buckets) {
      throw new DomainError(
        "AlreadyExists",
        `stock ${ticketId} already exists with total ${existing.total} over ${existing.buckets} bucket(s)`,
      );
    }
    return existing;
  }

  async getStock(ticketId: string): Promise<StockRecord> {
    const stock = await this.store.findStock(ticketId);
    if (!stock) throw notFound("stock", ticketId);
    return stock;
  }

  listStocks(eventId: string | undefined, after: string[] | undefined, limit: number): Promise<StockRecord[]> {
    return this.store.listStocks(eventId, after, limit);
  }

  async deleteStock(ticketId: string): Promise<void> {
    const outcome = await this.store.deleteStock(ticketId);
    if (outcome === "missing") throw notFound("stock", ticketId);
    if (outcome === "busy") {
      throw new DomainError("FailedPrecondition", `stock ${ticketId} has held or sold tickets and cannot be deleted`);
    }
  }

  /**
   * Holds every item for the order or nothing; idempotent per order (a second call answers with the first call's
   * holds). `deadline` (epoch ms) is when the caller stops waiting: no stock is taken after it.
   */
  hold(orderId: string, items: HoldItem[], ttlSeconds: number | undefined, deadline?: number): Promise<HoldResult> {
    const running = this.#holding.get(orderId);
    if (running) return running;
    // By ticket type: the order the bookings are answered in, by this call and by a repeated one.
    const sorted = [...items].sort((a, b) => a.ticketId.localeCompare(b.ticketId));
    const attempt = this.store
      .hold({ orderId, items: sorted, ttlSeconds: ttlSeconds ?? this.defaultTtlSeconds, deadline })
      .finally(() => this.#holding.delete(orderId));
    this.#holding.set(orderId, attempt);
    return attempt;
  }

  listBookings(filter: BookingFilter, after: string[] | undefined, limit: number): Promise<BookingRecord[]> {
    return this.store.listBookings(filter, after, limit);
  }

  /**
   * Turns the order's holds into sales, all of them or none. Already confirmed: returned as they are. Expired or
   * released (even partly), or past their expiry: FAILED_PRECONDITION, so late payments never sell returned stock.
   */
  async confirm(orderId: string, paymentReference = ""): Promise<BookingRecord[]> {
    const decide = (bookings: readonly BookingRecord[]): boolean => {
      if (bookings.length === 0) throw new DomainError("NotFound", `order ${orderId} has no holds`);
      if (bookings.every((b) => b.status === "CONFIRMED")) return false;
      const refusal = confirmRefusal(bookings, new Date());
      if (refusal) {
        const state = bookings.find((b) => b.status !== "HELD")?.status ?? "HELD";
        throw stateConflict(`cannot confirm order ${orderId}: ${refusal}`, `BOOKING_STATUS_${state}`, "ConfirmBookings");
      }
      return true;
    };
    const result = await this.store.confirm(orderId, paymentReference, decide, (confirmed) => this.#eventsOf("CONFIRMED", confirmed));
    if (result.changed) this.events.committed();
    return result.bookings;
  }

  /** Releases the order's HELD bookings (cancelled or failed order). Returns those this call released. */
  release(orderId: string): Promise<BookingRecord[]> {
    return this.#end({ kind: "order", orderId }, "RELEASED");
  }

  /** Expires exactly these bookings if they are still HELD, due or not. */
  expireIds(ids: readonly string[]): Promise<BookingRecord[]> {
    return this.#end({ kind: "ids", ids }, "EXPIRED");
  }

  /** Expires up to `limit` due holds, oldest first; safe to run from several replicas at once. */
  expireDue(limit: number): Promise<BookingRecord[]> {
    return this.#end({ kind: "due", limit }, "EXPIRED");
  }

  /** Ends the selected holds that may still move to `to`, one event per order with them; publishes once committed. */
  async #end(selector: HoldSelector, to: "RELEASED" | "EXPIRED"): Promise<BookingRecord[]> {
    const ended = await this.store.end(selector, to, (bookings) => this.#eventsOf(to, bookings));
    if (ended.length > 0) this.events.committed();
    return ended;
  }

  /** One event per order of the change. */
  #eventsOf(to: EndedStatus, ended: readonly BookingRecord[]) {
    return [...byOrder(ended)].map(([orderId, bookings]) => this.events.prepare(to, orderId, bookings));
  }
}
