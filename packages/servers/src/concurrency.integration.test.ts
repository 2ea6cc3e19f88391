import { Code, checkout, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxBookingEvents } from "./booking/events.js";
import { bookingModule } from "./booking/index.js";
import type { BookingEvents } from "./booking/ports.js";
import { BookingService } from "./booking/service.js";
import { openOrm, type Orm } from "./platform/db.js";
import { createLogger } from "./platform/logger.js";
import { createEventWith, eventually, platformForFile, stockIn, type TestPlatform } from "./testing/harness.js";

// Concurrency proofs on real PostgreSQL over real gRPC. The platform's own expiry sweep is switched off (a yearly
// cron) so each test decides who races.

let t: TestPlatform;
platformForFile({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } }, (p) => {
  t = p;
});
const stockOf = (ticketId: string) => stockIn(t, ticketId);

describe("on-sale under contention", () => {
  it("300 parallel buyers for the last 50 units: exactly 50 sold, never oversold", async () => {
    const capacity = 100;
    const { ticketIds } = await createEventWith(t.admin, capacity);
    const ticketId = ticketIds[0]!;

    // Sell the first 50 so that 50 are left.
    const early = t.customer("early-bird");
    await early.checkout.addToCart({ ticketId, quantity: 50 });
    const { order: first } = await early.checkout.placeOrder({});
    await t.admin.checkout.markOrderAsPaid({ orderId: first!.id, paymentReference: "early" });
    expect(await stockOf(ticketId)).toMatchObject({ sold: 50, available: 50 });

    const buyers = 300;
    const clients: TicketingClient[] = Array.from({ length: buyers }, (_, i) => t.customer(`buyer-${i}`));
    // Carts first (they do not touch stock), then everyone places at once.
    await Promise.all(clients.map((c) => c.checkout.addToCart({ ticketId, quantity: 1 })));

    // A watcher samples the stock throughout: it must never show an impossible state.
    let sampling = true;
    const samples: { total: number; held: number; sold: number; available: number }[] = [];
    const watcher = (async () => {
      while (sampling) {
        samples.push(await stockOf(ticketId));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const started = performance.now();
    const outcomes = await Promise.allSettled(clients.map((c) => c.checkout.placeOrder({})));
    const wallMs = performance.now() - started;
    sampling = false;
    await watcher;

    const placed = outcomes.filter((o) => o.status === "fulfilled").map((o) => o.value.order!);
    const codes = outcomes
      .filter((o): o is PromiseRejectedResult => o.status === "rejected")
      .map((o) => toTicketingError(o.reason).codeName);
    expect(placed).toHaveLength(50);
    expect(placed.every((o) => o.status === checkout.OrderStatus.PENDING_PAYMENT)).toBe(true);
    expect(new Set(codes)).toEqual(new Set(["RESOURCE_EXHAUSTED"]));
    expect(codes).toHaveLength(buyers - 50);

    for (const s of samples) {
      expect(s.available).toBeGreaterThanOrEqual(0);
      expect(s.held + s.sold).toBeLessThanOrEqual(s.total);
      expect(s.total).toBe(s.available + s.held + s.sold);
    }
    expect(await stockOf(ticketId)).toMatchObject({ total: capacity, held: 50, sold: 50, available: 0 });

    await Promise.all(placed.map((o) => t.admin.checkout.markOrderAsPaid({ orderId: o.id, paymentReference: `p-${o.id}` })));
    const end = await stockOf(ticketId);
    expect(end).toMatchObject({ total: capacity, held: 0, sold: capacity, available: 0 });
    expect(end.total).toBe(end.available + end.held + end.sold);
    console.log(
      `[concurrency proof] ${buyers} buyers for the last 50 units: ${placed.length} held, ` +
        `${codes.length} RESOURCE_EXHAUSTED, sold ${end.sold}/${capacity} after payment, ` +
        `PlaceOrder wall time ${Math.round(wallMs)} ms, ${samples.length} stock samples all consistent`,
    );
  });

  it("pay, cancel and expire racing on one order end with exactly one winner", async () => {
    const orders = 20;
    const { ticketIds } = await createEventWith(t.admin, orders * 2);
    const ticketId = ticketIds[0]!;
    const placed: { id: string; owner: TicketingClient; bookingIds: string[] }[] = [];
    for (let i = 0; i < orders; i++) {
      const owner = t.customer(`racer-${i}`);
      await owner.checkout.addToCart({ ticketId, quantity: 2 });
      const { order } = await owner.checkout.placeOrder({});
      const { bookings } = await t.admin.bookings.getBookings({ orderId: order!.id });
      placed.push({ id: order!.id, owner, bookingIds: bookings.map((b) => b.id) });
    }

    // One order at a time, its three contenders at once: under a light load the jitter, not the length of each
    // call path, decides who comes first, so every contender wins some of the races.
    const results: { id: string; winners: number; winner: string }[] = [];
    const jitter = <T>(call: () => Promise<T>) => new Promise((r) => setTimeout(r, Math.random() * 15)).then(call);
    for (const o of placed) {
      const [pay, cancel, expire] = await Promise.allSettled([
        jitter(() => t.admin.checkout.markOrderAsPaid({ orderId: o.id, paymentReference: `race-${o.id}` })),
        jitter(() => o.owner.checkout.cancelOrder({ orderId: o.id })),
        jitter(() => t.admin.bookings.expireBookings({ bookingIds: o.bookingIds })),
      ]);
      for (const loser of [pay, cancel].filter((r) => r.status === "rejected")) {
        expect(toTicketingError((loser as PromiseRejectedResult).reason).code).toBe(Code.FailedPrecondition);
      }
      const expired = expire.status === "fulfilled" && expire.value.bookings.length > 0;
      const winners = [pay.status === "fulfilled", cancel.status === "fulfilled", expired].filter(Boolean).length;
      const winner = pay.status === "fulfilled" ? "PAID" : cancel.status === "fulfilled" ? "CANCELLED" : "EXPIRED";
      results.push({ id: o.id, winners, winner });
    }

    for (const r of results) {
      expect(r.winners, `order ${r.id}`).toBe(1);
      // The order ends in the winner's state (expiry reaches checkout through the bus, so wait for it).
      const final = await eventually(async () => {
        const { order } = await t.admin.checkout.getOrder({ orderId: r.id });
        return order!.status === checkout.OrderStatus.PENDING_PAYMENT ? undefined : order!.status;
      });
      expect(checkout.OrderStatus[final]).toBe(r.winner);
    }
    const paid = results.filter((r) => r.winner === "PAID").length;
    const end = await stockOf(ticketId);
    expect(end).toMatchObject({ total: orders * 2, held: 0, sold: paid * 2, available: orders * 2 - paid * 2 });
    console.log(
      `[race] ${orders} orders × (pay | cancel | expire): ` +
        `${paid} paid, ${results.filter((r) => r.winner === "CANCELLED").length} cancelled, ` +
        `${results.filter((r) => r.winner === "EXPIRED").length} expired; one winner each`,
    );
  });

  it("PlaceOrder retried with one idempotency key holds once and returns one order", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const erin = t.customer("erin");
    await erin.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 3 });
    const attempts = await Promise.all(Array.from({ length: 8 }, () => erin.checkout.placeOrder({ idempotencyKey: "erin-1" })));
    expect(new Set(attempts.map((a) => a.order!.id)).size).toBe(1);
    const later = await erin.checkout.placeOrder({ idempotencyKey: "erin-1" });
    expect(later.order!.id).toBe(attempts[0]!.order!.id);
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ held: 3, available: 7 });
    expect((await erin.checkout.listOrders({})).orders).toHaveLength(1);
  });
});

describe("expiry sweep with two replicas", () => {
  let second: Orm;
  beforeAll(async () => {
    second = await openOrm(bookingModule.schema, t.db.url, 5, createLogger("silent"));
  });
  afterAll(async () => {
    await second?.close();
  });

  it("two schedulers racing over the same due holds restore each hold exactly once", async () => {
    const holds = 200;
    const { ticketIds } = await createEventWith(t.admin, 1000);
    const ticketId = ticketIds[0]!;
    const primary = t.platform.booking!;
    for (let i = 0; i < holds; i++) {
      await primary.hold(crypto.randomUUID(), [{ ticketId, quantity: 2 }], 1);
    }
    expect(await stockOf(ticketId)).toMatchObject({ held: holds * 2, available: 1000 - holds * 2 });
    await new Promise((r) => setTimeout(r, 1200));

    const quiet: BookingEvents = outboxBookingEvents(() => {});
    const replicaA = primary;
    const replicaB = new BookingService(second.em, quiet, 900);
    const sweep = async (replica: BookingService) => {
      const ids: string[] = [];
      for (;;) {
        const batch = await replica.expireDue(7);
        ids.push(...batch.map((b) => b.id));
        if (batch.length === 0) return ids;
      }
    };
    const [a, b] = await Promise.all([sweep(replicaA), sweep(replicaB)]);

    expect(a.length + b.length).toBe(holds);
    expect(new Set([...a, ...b]).size).toBe(holds);
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(await stockOf(ticketId)).toMatchObject({ total: 1000, held: 0, sold: 0, available: 1000 });

    // One EXPIRED event per order, however the batches were split.
    const { rows } = await sql<{ orders: string; events: string }>`
      select count(distinct key) as orders, count(*) as events from booking.outbox
      where type = 'BOOKING_EVENT_TYPE_EXPIRED'`.execute(second.em.fork().getKysely());
    expect(Number(rows[0]!.events)).toBe(Number(rows[0]!.orders));
    console.log(`[expiry race] ${holds} due holds: replica A expired ${a.length}, replica B ${b.length}, none twice`);
  });
});
