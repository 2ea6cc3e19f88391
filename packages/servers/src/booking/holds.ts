import { randomInt } from "node:crypto";
import { LockMode } from "@mikro-orm/core";
import { TOPICS } from "../platform/bus.js";
import { PG, pgCode, transaction, type Em } from "../platform/db.js";
import { notFound } from "../platform/errors.js";
import { enqueue } from "../platform/outbox.js";
import { deadlinePassed, heldBooking, noStock, notEnoughTickets, type BookingRecord } from "./domain/booking.js";
import { Booking, Stock } from "./entities.js";
import * as repo from "./repository.js";
import type { BookingEvents, HoldRequest, HoldResult } from "./ports.js";
import { uuidv7 } from "../platform/ids.js";

/** How stock is taken for an order: all of its items or none, idempotent per order. */
export interface HoldStrategy {
  hold(request: HoldRequest): Promise<HoldResult>;
}

/** The event id and bucket count of a stock: fixed when the stock is created, so safe to remember. */
export interface StockShape {
  eventId: string;
  buckets: number;
}

type ShapeOf = (ticketId: string) => StockShape;

interface Pending {
  request: HoldRequest;
  resolve: (result: HoldResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for holds. Concurrent requests queue while a batch is in the database; each batch is ONE call of
 * booking.hold_batch, so one statement and one WAL flush serve every buyer in it, and each buyer is still all or
 * nothing. Under no load a request goes alone at once; under load batches grow by themselves, no timer involved.
 *
 * A batch draws on one bucket of each split stock (a different one per batch); an order that bucket cannot serve
 * is tried again in a batch over all buckets, so sold-out stays exact.
 */
export class BatchedHolds implements HoldStrategy {
  readonly #queue: Pending[] = [];
  readonly #acrossBuckets: Pending[] = [];
  #running = 0;
  #bucket = randomInt(0, 1 << 16);

  constructor(
    private readonly em: Em,
    private readonly events: BookingEvents,
    private readonly shapeOf: ShapeOf,
    private readonly forget: (ticketIds: readonly string[]) => void,
    private readonly concurrency = 2,
    private readonly maxBatch = 500,
  ) {}

  hold(request: HoldRequest): Promise<HoldResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.concurrency && (this.#queue.length > 0 || this.#acrossBuckets.length > 0)) {
      const across = this.#acrossBuckets.length > 0;
      const batch = (across ? this.#acrossBuckets : this.#queue).splice(0, this.maxBatch);
      this.#running++;
      this.#run(batch, across ? null : this.#bucket++ & 0xffff).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: Pending[], bucket: number | null): Promise<void> {
    const now = new Date();
    const live: Pending[] = [];
    for (const p of batch) {
      if (p.request.deadline !== undefined && p.request.deadline <= now.getTime()) p.reject(deadlinePassed());
      else live.push(p);
    }
    if (live.length === 0) return;
    const prepared = live.map((p) => this.#prepare(p.request, now));
    let outcomes: repo.BatchOutcome[];
    for (let attempt = 1; ; attempt++) {
      try {
        outcomes = await repo.holdBatch(this.em, prepared.map((p) => p.order), now, bucket, TOPICS.bookingEvents, "BOOKING_EVENT_TYPE_HELD");
        break;
      } catch (err) {
        // Another replica held one of these orders in the same instant (unique violation once it committed), or
        // PostgreSQL broke a lock cycle: the batch rolled back as a whole, and its next run sees the winner's holds.
        const code = pgCode(err);
        if ((code === PG.uniqueViolation || code === PG.deadlockDetected) && attempt < 5) continue;
        for (const p of live) p.reject(err);
        return;
      }
    }
    if (outcomes.some((o) => o.outcome === "held")) this.events.committed();
    live.forEach((p, i) => {
      const outcome = outcomes[i] as repo.BatchOutcome;
      const { request } = p;
      switch (outcome.outcome) {
        case "held":
          p.resolve({ bookings: (prepared[i] as Prepared).bookings, expiresAt: (prepared[i] as Prepared).order.expiresAt, created: true });
          return;
        case "exists":
          existingHolds(this.em, request.orderId).then(p.resolve, p.reject);
          return;
        case "missing":
          this.forget(request.items.map((item) => item.ticketId));
          p.reject(noStock(request.items.map((item) => item.ticketId)));
          return;
        case "short": {
          if (bucket !== null && outcome.shortages.some((s) => this.shapeOf(s.ticketId).buckets > 1)) {
            this.#acrossBuckets.push(p);
            return;
          }
          p.reject(
            notEnoughTickets(
              outcome.shortages.map((s) => ({
                ticketId: s.ticketId,
                requested: request.items.find((item) => item.ticketId === s.ticketId)?.quantity ?? 0,
                available: Math.max(0, s.available),
              })),
            ),
          );
        }
      }
    });
  }

  #prepare(request: HoldRequest, now: Date): Prepared {
    const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000);
    const bookings = request.items.map((item) =>
      heldBooking(uuidv7(), request.orderId, item, this.shapeOf(item.ticketId).eventId, expiresAt, now),
    );
    const event = this.events.prepare("HELD", request.orderId, bookings, now);
    return {
      bookings,
      order: {
        orderId: request.orderId,
        expiresAt,
        eventId: event.eventId,
        payload: event.value,
        lines: bookings.map((b) => ({ ticketId: b.ticketId, quantity: b.quantity, bookingId: b.id })),
      },
    };
  }
}

interface Prepared {
  bookings: BookingRecord[];
  order: repo.BatchOrder;
}

async function existingHolds(em: Em, orderId: string): Promise<HoldResult> {
  const bookings = await repo.bookingsOfOrder(em, orderId);
  return { bookings, expiresAt: bookings[0]?.expiresAt ?? new Date(), created: false };
}

/**
 * The common ORM pattern, kept as the benchmark's comparator (TICKETING_HOLD_STRATEGY=naive): per order, a
 * transaction that reads each stock row with SELECT … FOR UPDATE, checks availability in application code, updates
 * it through the unit of work and inserts the holds, one client round trip after another while the row stays
 * locked. Correct, and slow under contention; only bucket 0 is used.
 */
export class NaiveHolds implements HoldStrategy {
  constructor(
    private readonly em: Em,
    private readonly events: BookingEvents,
  ) {}

  async hold(request: HoldRequest): Promise<HoldResult> {
    if (request.deadline !== undefined && request.deadline <= Date.now()) throw deadlinePassed();
    const result = await transaction(this.em, async (tx) => {
      const existing = await tx.find(Booking, { orderId: request.orderId });
      if (existing.length > 0) return { created: false, bookings: [] as BookingRecord[] };
      const now = new Date();
      const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000);
      const bookings: BookingRecord[] = [];
      const short: { ticketId: string; requested: number; available: number }[] = [];
      for (const item of [...request.items].sort((a, b) => a.ticketId.localeCompare(b.ticketId))) {
        const stock = await tx.findOne(Stock, { ticketId: item.ticketId, bucket: 0 }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!stock) throw notFound("stock", item.ticketId);
        const available = stock.total - stock.held - stock.sold;
        if (available < item.quantity) {
          short.push({ ticketId: item.ticketId, requested: item.quantity, available });
          continue;
        }
        stock.held += item.quantity;
        stock.updatedAt = now;
        const record = heldBooking(uuidv7(), request.orderId, item, stock.eventId, expiresAt, now);
        tx.create(Booking, { ...record, bucket: 0 });
        bookings.push(record);
      }
      if (short.length > 0) throw notEnoughTickets(short);
      await tx.flush();
      await enqueue(tx, "booking", [this.events.prepare("HELD", request.orderId, bookings)]);
      return { created: true, bookings };
    });
    if (!result.created) return existingHolds(this.em.fork(), request.orderId);
    this.events.committed();
    return { bookings: result.bookings, expiresAt: result.bookings[0]?.expiresAt ?? new Date(), created: true };
  }
}
