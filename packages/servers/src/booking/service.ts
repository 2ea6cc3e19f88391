import { DomainError, notFound, stateConflict } from "../platform/errors.js";
import { PG, pgCode, transaction, type Em } from "../platform/db.js";
import {
  available,
  byOrder,
  confirmRefusal,
  type BookingRecord,
  type BookingStatus,
  type HoldItem,
  type StockRecord,
} from "./domain/booking.js";
import * as repo from "./repository.js";

/** What the booking service publishes when holds change, written to its outbox in the same transaction. */
export interface BookingEvents {
  /** Enqueues one event per order for the given change, inside `tx`. */
  record(tx: Em, type: "HELD" | "CONFIRMED" | "RELEASED" | "EXPIRED", orderId: string, bookings: BookingRecord[]): Promise<void>;
  /** Called after a commit that recorded events, to publish them promptly. */
  committed(): void;
}

export interface HoldResult {
  bookings: BookingRecord[];
  expiresAt: Date;
  /** False when the order already had holds and nothing new was held. */
  created: boolean;
}

/** Use cases of the booking service. Inputs are validated by the handler. */
export class BookingService {
  constructor(
    private readonly em: Em,
    private readonly events: BookingEvents,
    private readonly defaultTtlSeconds: number,
  ) {}

  async createStock(ticketId: string, eventId: string, total: number): Promise<StockRecord> {
    const created = await repo.insertStock(this.em.fork(), ticketId, eventId, total);
    if (created) return created;
    const existing = await repo.findStock(this.em.fork(), ticketId);
    if (!existing) throw new DomainError("Aborted", `stock ${ticketId} changed concurrently; retry`);
    if (existing.total !== total || existing.eventId !== eventId) {
      throw new DomainError("AlreadyExists", `stock ${ticketId} already exists with total ${existing.total}`);
    }
    return existing;
  }

  async getStock(ticketId: string): Promise<StockRecord> {
    const stock = await repo.findStock(this.em.fork(), ticketId);
    if (!stock) throw notFound("stock", ticketId);
    return stock;
  }

  listStocks(eventId: string | undefined, after: string[] | undefined, limit: number): Promise<StockRecord[]> {
    return repo.listStocks(this.em.fork(), eventId, after, limit);
  }

  async deleteStock(ticketId: string): Promise<void> {
    const outcome = await repo.deleteStock(this.em.fork(), ticketId);
    if (outcome === "missing") throw notFound("stock", ticketId);
    if (outcome === "busy") {
      throw new DomainError("FailedPrecondition", `stock ${ticketId} has held or sold tickets and cannot be deleted`);
    }
  }

  /**
   * Holds every item for the order or nothing. Items are taken in ticket-id order, so two orders competing for the
   * same stocks lock them in the same order and cannot deadlock each other. Idempotent per order.
   */
  async hold(orderId: string, items: HoldItem[], ttlSeconds: number | undefined): Promise<HoldResult> {
    const ttl = ttlSeconds ?? this.defaultTtlSeconds;
    const sorted = [...items].sort((a, b) => a.ticketId.localeCompare(b.ticketId));
    try {
      const result = await transaction(this.em, async (tx) => {
        const existing = await repo.bookingsOfOrder(tx, orderId);
        if (existing.length > 0) return { bookings: existing, created: false };
        const lines: { ticketId: string; eventId: string; quantity: number }[] = [];
        const short: HoldItem[] = [];
        for (const item of sorted) {
          const taken = await repo.takeFromStock(tx, item);
          if (taken) lines.push({ ...item, eventId: taken.eventId });
          else short.push(item);
        }
        if (short.length > 0) throw await this.#shortage(tx, short);
        const bookings = await repo.insertHolds(tx, orderId, lines, ttl);
        await this.events.record(tx, "HELD", orderId, bookings);
        return { bookings, created: true };
      });
      if (result.created) this.events.committed();
      return { ...result, expiresAt: result.bookings[0]?.expiresAt ?? new Date() };
    } catch (err) {
      // Two requests for one order raced and the other one inserted first: answer with its holds.
      if (pgCode(err) === PG.uniqueViolation) {
        const bookings = await repo.bookingsOfOrder(this.em.fork(), orderId);
        return { bookings, expiresAt: bookings[0]?.expiresAt ?? new Date(), created: false };
      }
      throw err;
    }
  }

  async #shortage(tx: Em, short: HoldItem[]): Promise<DomainError> {
    const stocks = new Map((await repo.findStocks(tx, short.map((s) => s.ticketId))).map((s) => [s.ticketId, s]));
    const missing = short.filter((s) => !stocks.has(s.ticketId));
    if (missing.length > 0) {
      return new DomainError("NotFound", `no stock for ticket ${missing.map((m) => m.ticketId).join(", ")}`);
    }
    const shortages = short.map((s) => ({
      ticketId: s.ticketId,
      requested: s.quantity,
      available: Math.max(0, available(stocks.get(s.ticketId) as StockRecord)),
    }));
    return new DomainError(
      "ResourceExhausted",
      `not enough tickets: ${shortages.map((s) => `${s.ticketId} has ${s.available}, ${s.requested} requested`).join("; ")}`,
      { shortages },
    );
  }

  listBookings(
    filter: { orderId?: string | undefined; status?: BookingStatus | undefined },
    after: string[] | undefined,
    limit: number,
  ): Promise<BookingRecord[]> {
    return repo.listBookings(this.em.fork(), filter, after, limit);
  }

  /**
   * Turns the order's holds into sales, all of them or none. Already confirmed: returned as they are. Expired or
   * released (even partly), or past their expiry: FAILED_PRECONDITION, so late payments never sell returned stock.
   */
  async confirm(orderId: string): Promise<BookingRecord[]> {
    const result = await transaction(this.em, async (tx) => {
      const bookings = await repo.bookingsOfOrder(tx, orderId, true);
      if (bookings.length === 0) throw new DomainError("NotFound", `order ${orderId} has no holds`);
      if (bookings.every((b) => b.status === "CONFIRMED")) return { bookings, changed: false };
      const refusal = confirmRefusal(bookings, new Date());
      if (refusal) {
        const state = bookings.find((b) => b.status !== "HELD")?.status ?? "HELD";
        throw stateConflict(`cannot confirm order ${orderId}: ${refusal}`, `BOOKING_STATUS_${state}`, "ConfirmBookings");
      }
      const confirmed = await repo.endHolds(tx, { kind: "order", orderId }, "CONFIRMED");
      await this.events.record(tx, "CONFIRMED", orderId, confirmed);
      return { bookings: await repo.bookingsOfOrder(tx, orderId), changed: true };
    });
    if (result.changed) this.events.committed();
    return result.bookings;
  }

  /** Releases the order's HELD bookings (cancelled or failed order). Returns those this call released. */
  async release(orderId: string): Promise<BookingRecord[]> {
    const released = await transaction(this.em, async (tx) => {
      const ended = await repo.endHolds(tx, { kind: "order", orderId }, "RELEASED");
      if (ended.length > 0) await this.events.record(tx, "RELEASED", orderId, ended);
      return ended;
    });
    if (released.length > 0) this.events.committed();
    return released;
  }

  /** Expires exactly these bookings if they are still HELD, due or not. */
  expireIds(ids: readonly string[]): Promise<BookingRecord[]> {
    return this.#expire({ kind: "ids", ids });
  }

  /** Expires up to `limit` due holds, oldest first; safe to run from several replicas at once. */
  expireDue(limit: number): Promise<BookingRecord[]> {
    return this.#expire({ kind: "due", limit });
  }

  async #expire(selector: repo.HoldSelector): Promise<BookingRecord[]> {
    const expired = await transaction(this.em, async (tx) => {
      const ended = await repo.endHolds(tx, selector, "EXPIRED");
      for (const [orderId, bookings] of byOrder(ended)) await this.events.record(tx, "EXPIRED", orderId, bookings);
      return ended;
    });
    if (expired.length > 0) this.events.committed();
    return expired;
  }
}
