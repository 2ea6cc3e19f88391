import { detached, transaction, type Em } from "../platform/db.js";
import { enqueue } from "../platform/outbox.js";
import { noStock } from "./domain/booking.js";
import { BatchedHolds, NaiveHolds, type HoldStrategy, type StockShape } from "./holds.js";
import type { BookingEvents, HoldStore } from "./ports.js";
import * as repo from "./repository.js";

/** How holds are taken: "batched" (group commit, the default) or "naive" (the benchmark's ORM comparator). */
export type HoldStrategyName = "batched" | "naive";

/**
 * The hold store on booking's PostgreSQL schema: holds are taken by the chosen strategy (holds.ts), every other
 * change is one transaction of the repository's statements. Statements outside a transaction run on the pool
 * (`detached`).
 */
export function pgHoldStore(root: Em, events: BookingEvents, strategy: HoldStrategyName = "batched"): HoldStore {
  const em = detached(root);
  /** Stock shapes never change once created; a deleted stock is forgotten when a hold finds it gone. */
  const shapes = new Map<string, StockShape>();
  const forget = (ticketIds: readonly string[]) => ticketIds.forEach((id) => shapes.delete(id));
  const holds: HoldStrategy =
    strategy === "naive" ? new NaiveHolds(em, events) : new BatchedHolds(em, events, (ticketId) => shapes.get(ticketId) as StockShape, forget);

  const learnShapes = async (ticketIds: string[]): Promise<void> => {
    for (const shape of await repo.stockShapes(em, ticketIds)) shapes.set(shape.ticketId, { eventId: shape.eventId, buckets: shape.buckets });
    const missing = ticketIds.filter((id) => !shapes.has(id));
    if (missing.length > 0) throw noStock(missing);
  };

  return {
    async createStock(ticketId, eventId, total, buckets) {
      await repo.insertStock(em, ticketId, eventId, total, buckets);
      return repo.findStock(em, ticketId);
    },
    findStock: (ticketId) => repo.findStock(em, ticketId),
    listStocks: (eventId, after, limit) => repo.listStocks(em, eventId, after, limit),
    async deleteStock(ticketId) {
      const outcome = await repo.deleteStock(em, ticketId);
      if (outcome === "deleted") shapes.delete(ticketId);
      return outcome;
    },
    hold(request) {
      if (request.items.every((item) => shapes.has(item.ticketId))) return holds.hold(request);
      const unknown = request.items.map((item) => item.ticketId).filter((id) => !shapes.has(id));
      return learnShapes(unknown).then(() => holds.hold(request));
    },
    listBookings: (filter, after, limit) => repo.listBookings(em, filter, after, limit),
    confirm: (orderId, paymentReference, decide, eventsOf) =>
      transaction(em, async (tx) => {
        const bookings = await repo.bookingsOfOrder(tx, orderId, true);
        if (!decide(bookings)) return { bookings, changed: false };
        const confirmed = await repo.endHolds(tx, { kind: "order", orderId }, "CONFIRMED", paymentReference);
        await enqueue(tx, "booking", eventsOf(confirmed));
        return { bookings: await repo.bookingsOfOrder(tx, orderId), changed: true };
      }),
    end: (selector, to, eventsOf) =>
      transaction(em, async (tx) => {
        const ended = await repo.endHolds(tx, selector, to);
        await enqueue(tx, "booking", eventsOf(ended));
        return ended;
      }),
  };
}
