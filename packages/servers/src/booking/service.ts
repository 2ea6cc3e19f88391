import { DomainError, notFound, stateConflict } from "../platform/errors.js";
import { detached, transaction, type Em } from "../platform/db.js";
import {
  byOrder,
  confirmRefusal,
  type BookingRecord,
  type BookingStatus,
  type EndedStatus,
  type HoldItem,
  type StockRecord,
} from "./domain/booking.js";
import { BatchedHolds, NaiveHolds, type HoldResult, type HoldStrategy, type StockShape } from "./holds.js";
import type { BookingEvents } from "./ports.js";
import * as repo from "./repository.js";

export type { HoldResult } from "./holds.js";

/** How holds are taken: "batched" (group commit, the default) or "naive" (the benchmark's ORM comparator). */
export type HoldStrategyName = "batched" | "naive";

/** Use cases of the booking service. Inputs are validated by the handler. */
export class BookingService {
  /** Stock shapes never change once created; a deleted stock is forgotten when a hold finds it gone. */
  readonly #shapes = new Map<string, StockShape>();
  readonly #holds: HoldStrategy;
  /** Holds in progress per order, so concurrent calls for one order share one attempt. */
  readonly #holding = new Map<string, Promise<HoldResult>>();

  private readonly em: Em;

  constructor(
    em: Em,
    private readonly events: BookingEvents,
    private readonly defaultTtlSeconds: number,
    strategy: HoldStrategyName = "batched",
  ) {
    this.em = detached(em);
    this.#holds =
      strategy === "naive"
        ? new NaiveHolds(this.em, events)
        : new BatchedHolds(
            this.em,
            events,
            (ticketId) => this.#shapes.get(ticketId) as StockShape,
            (ticketIds) => ticketIds.forEach((id) => this.#shapes.delete(id)),
          );
  }

  /** Creates the stock, split over `buckets` rows. Idempotent for the same total and split. */
  async createStock(ticketId: string, eventId: string, total: number, buckets = 1): Promise<StockRecord> {
    await repo.insertStock(this.em, ticketId, eventId, total, buckets);
    const existing = await repo.findStock(this.em, ticketId);
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
    const stock = await repo.findStock(this.em, ticketId);
    if (!stock) throw notFound("stock", ticketId);
    return stock;
  }

  listStocks(eventId: string | undefined, after: string[] | undefined, limit: number): Promise<StockRecord[]> {
    return repo.listStocks(this.em, eventId, after, limit);
  }

  async deleteStock(ticketId: string): Promise<void> {
    const outcome = await repo.deleteStock(this.em, ticketId);
    if (outcome === "missing") throw notFound("stock", ticketId);
    if (outcome === "busy") {
      throw new DomainError("FailedPrecondition", `stock ${ticketId} has held or sold tickets and cannot be deleted`);
    }
    this.#shapes.delete(ticketId);
  }

  /**
   * Holds every item for the order or nothing; idempotent per order (a second call answers with the first call's
   * holds). `deadline` (epoch ms) is when the caller stops waiting: no stock is taken after it.
   */
  async hold(orderId: string, items: HoldItem[], ttlSeconds: number | undefined, deadline?: number): Promise<HoldResult> {
    const running = this.#holding.get(orderId);
    if (running) return running;
    const attempt = this.#hold(orderId, items, ttlSeconds ?? this.defaultTtlSeconds, deadline).finally(() =>
      this.#holding.delete(orderId),
    );
    this.#holding.set(orderId, attempt);
    return attempt;
  }

  async #hold(orderId: string, items: HoldItem[], ttlSeconds: number, deadline: number | undefined): Promise<HoldResult> {
    const unknown = items.filter((item) => !this.#shapes.has(item.ticketId)).map((item) => item.ticketId);
    if (unknown.length > 0) {
      for (const shape of await repo.stockShapes(this.em, unknown)) {
        this.#shapes.set(shape.ticketId, { eventId: shape.eventId, buckets: shape.buckets });
      }
      const missing = unknown.filter((id) => !this.#shapes.has(id));
      if (missing.length > 0) throw new DomainError("NotFound", `no stock for ticket ${missing.join(", ")}`);
    }
    const sorted = [...items].sort((a, b) => a.ticketId.localeCompare(b.ticketId));
    return this.#holds.hold({ orderId, items: sorted, ttlSeconds, deadline });
  }

  listBookings(
    filter: { orderId?: string | undefined; status?: BookingStatus | undefined },
    after: string[] | undefined,
    limit: number,
  ): Promise<BookingRecord[]> {
    return repo.listBookings(this.em, filter, after, limit);
  }

  /**
   * Turns the order's holds into sales, all of them or none. Already confirmed: returned as they are. Expired or
   * released (even partly), or past their expiry: FAILED_PRECONDITION, so late payments never sell returned stock.
   */
  async confirm(orderId: string, paymentReference = ""): Promise<BookingRecord[]> {
    const result = await transaction(this.em, async (tx) => {
      const bookings = await repo.bookingsOfOrder(tx, orderId, true);
      if (bookings.length === 0) throw new DomainError("NotFound", `order ${orderId} has no holds`);
      if (bookings.every((b) => b.status === "CONFIRMED")) return { bookings, changed: false };
      const refusal = confirmRefusal(bookings, new Date());
      if (refusal) {
        const state = bookings.find((b) => b.status !== "HELD")?.status ?? "HELD";
        throw stateConflict(`cannot confirm order ${orderId}: ${refusal}`, `BOOKING_STATUS_${state}`, "ConfirmBookings");
      }
      await this.#endIn(tx, { kind: "order", orderId }, "CONFIRMED", paymentReference);
      return { bookings: await repo.bookingsOfOrder(tx, orderId), changed: true };
    });
    if (result.changed) this.events.committed();
    return result.bookings;
  }

  /** Releases the order's HELD bookings (cancelled or failed order). Returns those this call released. */
  release(orderId: string): Promise<BookingRecord[]> {
    return this.#end({ kind: "order", orderId }, "RELEASED");
  }

  /** Expires exactly these bookings if they are still HELD, due or not. */
  expireIds(ids: readonly string[]): Promise<BookingRecord[]> {
    return this.#expire({ kind: "ids", ids });
  }

  /** Expires up to `limit` due holds, oldest first; safe to run from several replicas at once. */
  expireDue(limit: number): Promise<BookingRecord[]> {
    return this.#expire({ kind: "due", limit });
  }

  #expire(selector: repo.HoldSelector): Promise<BookingRecord[]> {
    return this.#end(selector, "EXPIRED");
  }

  /**
   * Ends the selected holds that may still move to `to` (one statement: whoever races, each hold ends once) and
   * records one event per order, inside `tx`.
   */
  async #endIn(tx: Em, selector: repo.HoldSelector, to: EndedStatus, paymentReference = ""): Promise<BookingRecord[]> {
    const ended = await repo.endHolds(tx, selector, to, paymentReference);
    for (const [orderId, bookings] of byOrder(ended)) await this.events.record(tx, to, orderId, bookings);
    return ended;
  }

  /** `#endIn` in a transaction of its own, the events published once it committed. */
  async #end(selector: repo.HoldSelector, to: EndedStatus): Promise<BookingRecord[]> {
    const ended = await transaction(this.em, (tx) => this.#endIn(tx, selector, to));
    if (ended.length > 0) this.events.committed();
    return ended;
  }
}
