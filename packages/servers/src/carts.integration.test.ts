import { Code, checkout, createTicketingClient, toTicketingError } from "@ticketing/sdk";
import pg from "pg";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CheckoutService, MAX_CART_LINES, type Holds } from "./checkout/service.js";
import { outboxOrderEvents } from "./checkout/events.js";
import { pgOrderStore } from "./checkout/store.js";
import { DomainError } from "./platform/errors.js";
import { createLogger } from "./platform/logger.js";
import { createEventWith, platformForFile, type TestPlatform } from "./testing/harness.js";

// Carts and placement on real PostgreSQL: what races and late answers may and may not do to a cart.

let t: TestPlatform;
platformForFile({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } }, (p) => {
  t = p;
});

const quantities = async (client: ReturnType<TestPlatform["customer"]>) =>
  Object.fromEntries(((await client.checkout.getUserCart({})).cart?.items ?? []).map((i) => [i.ticketId, i.quantity]));

describe("carts under concurrency", () => {
  it("racing AddToCart calls never take a cart past its line limit", async () => {
    const { ticketIds } = await createEventWith(t.admin, 100, { types: 30 });
    const ivy = t.customer("ivy");
    const results = await Promise.allSettled(ticketIds.map((ticketId) => ivy.checkout.addToCart({ ticketId, quantity: 1 })));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const refused = results
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => toTicketingError(r.reason).code);
    expect(ok).toBe(MAX_CART_LINES);
    expect(new Set(refused)).toEqual(new Set([Code.FailedPrecondition]));
    expect(Object.keys(await quantities(ivy))).toHaveLength(MAX_CART_LINES);
  });

  it("twenty PlaceOrder calls with different keys on one cart make one live order", async () => {
    const { ticketIds } = await createEventWith(t.admin, 100);
    const jay = t.customer("jay");
    await jay.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => jay.checkout.placeOrder({ idempotencyKey: randomUUID() })));
    const placed = results.filter((r) => r.status === "fulfilled");
    expect(placed).toHaveLength(1);
    for (const r of results.filter((x): x is PromiseRejectedResult => x.status === "rejected")) {
      expect(toTicketingError(r.reason).code).toBe(Code.FailedPrecondition);
    }
    expect((await t.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 2 });
    expect((await jay.checkout.listOrders({})).orders).toHaveLength(1);
  });
});

describe("a PlaceOrder that finishes late", () => {
  it("takes from the cart only what it ordered: tickets added meanwhile stay for the next order", async () => {
    const { ticketIds } = await createEventWith(t.admin, 100);
    const ticketId = ticketIds[0]!;
    const kim = t.customer("kim");
    await kim.checkout.addToCart({ ticketId, quantity: 2 });

    // Checkout on the same database, with a booking service that answers only when told to.
    let answer: () => void = () => {};
    const slowHolds: Holds = {
      hold: () => new Promise((resolve) => (answer = () => resolve({ expiresAt: new Date(Date.now() + 60_000) }))),
      confirm: async (_orderId, paymentReference) => ({ paymentReference }),
      release: async () => 0,
      available: async () => 0,
      statuses: async () => [],
    };
    const checkout = new CheckoutService(
      pgOrderStore(t.platform.orms.checkout!.em),
      { ticket: async (id) => ({ ticketId: id, eventId: randomUUID(), name: "GA", priceMinor: 4500n, currency: "EUR" }) },
      slowHolds,
      outboxOrderEvents(() => {}),
      createLogger("silent"),
    );
    const placing = checkout.placeOrder("kim", "kim-late");
    await new Promise((r) => setTimeout(r, 200));
    await kim.checkout.addToCart({ ticketId, quantity: 3 });
    answer();
    const order = await placing;
    expect(order.status).toBe("PENDING_PAYMENT");
    expect(order.items.map((i) => i.quantity)).toEqual([2]);
    expect(await quantities(kim)).toEqual({ [ticketId]: 3 });
    const { order: next } = await kim.checkout.placeOrder({});
    expect(next!.items.map((i) => i.quantity)).toEqual([3]);
  });

  it("a hold refused for want of stock puts the order's quantities back in the cart", async () => {
    const { ticketIds } = await createEventWith(t.admin, 1);
    const lea = t.customer("lea");
    await lea.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const err = toTicketingError(await lea.checkout.placeOrder({}).catch((e: unknown) => e));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(await quantities(lea)).toEqual({ [ticketIds[0]!]: 2 });
  });
});

describe("deadlines", () => {
  it("booking takes no stock for a request whose deadline has passed", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const orderId = randomUUID();
    const err = await t.platform.booking!.hold(orderId, [{ ticketId: ticketIds[0]!, quantity: 2 }], undefined, Date.now() - 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe("DeadlineExceeded");
    expect((await t.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 0, available: 10 });
    const { rows } = await sql`select 1 from booking.outbox where key = ${orderId}`.execute(t.platform.orms.booking!.em.getKysely());
    expect(rows).toEqual([]);
  });

  it("a PlaceOrder whose first attempt runs out of time is retried with the same key and gets the order that was placed", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const ticketId = ticketIds[0]!;
    const token = await t.platform.tokens.mint({ sub: "nell", role: "customer" });
    const nell = createTicketingClient({ baseUrl: t.platform.url, token, timeoutMs: 1000, retry: { maxAttempts: 4, initialDelayMs: 50 } });
    await nell.checkout.addToCart({ ticketId, quantity: 2 });

    // The stock row is locked for 1.5 s, so booking's hold waits behind it and the first attempt's deadline passes.
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("select * from booking.stock where ticket_id = $1 for update", [ticketId]);
      const unlocked = new Promise((r) => setTimeout(r, 1500)).then(() => blocker.query("commit"));
      const started = Date.now();
      const { order } = await nell.checkout.placeOrder({});
      await unlocked;
      expect(Date.now() - started).toBeGreaterThan(1000);
      expect(order!.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
      expect((await nell.checkout.listOrders({})).orders.map((o) => o.id)).toEqual([order!.id]);
      expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ held: 2, available: 8 });
    } finally {
      await blocker.end();
    }
  });

  it("an internal call that runs out of time is DEADLINE_EXCEEDED, not UNAVAILABLE, and leaves the order to a retry", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const ticketId = ticketIds[0]!;
    const token = await t.platform.tokens.mint({ sub: "otto", role: "customer" });
    const otto = createTicketingClient({ baseUrl: t.platform.url, token, timeoutMs: 700, retry: false });
    await otto.checkout.addToCart({ ticketId, quantity: 1 });
    const blocker = new pg.Client({ connectionString: t.db.url });
    await blocker.connect();
    try {
      await blocker.query("begin");
      await blocker.query("select * from booking.stock where ticket_id = $1 for update", [ticketId]);
      const err = toTicketingError(await otto.checkout.placeOrder({ idempotencyKey: "otto-1" }).catch((e: unknown) => e));
      expect(err.code).toBe(Code.DeadlineExceeded);
      await blocker.query("commit");
      const { order } = await otto.checkout.placeOrder({ idempotencyKey: "otto-1" });
      expect(order!.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
      expect((await otto.checkout.listOrders({})).orders).toHaveLength(1);
    } finally {
      await blocker.end();
    }
  });

  it("a PlaceOrder past its caller's deadline writes nothing and keeps the cart", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const max = t.customer("max");
    await max.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const err = await t.platform.checkout!.placeOrder("max", "max-1", Date.now() - 1).catch((e: unknown) => e);
    expect((err as DomainError).kind).toBe("DeadlineExceeded");
    expect((await max.checkout.listOrders({})).orders).toEqual([]);
    expect(await quantities(max)).toEqual({ [ticketIds[0]!]: 1 });
  });
});

describe("sold out", () => {
  it("once booking said none are left, AddToCart and PlaceOrder are refused without writing anything", async () => {
    const { ticketIds } = await createEventWith(t.admin, 2);
    const ticketId = ticketIds[0]!;
    const first = t.customer("nia");
    await first.checkout.addToCart({ ticketId, quantity: 2 });
    await first.checkout.placeOrder({});
    const late = t.customer("oli");
    await late.checkout.addToCart({ ticketId, quantity: 1 });
    // Booking's answer teaches checkout that the ticket type is gone.
    expect(toTicketingError(await late.checkout.placeOrder({}).catch((e: unknown) => e)).code).toBe(Code.ResourceExhausted);

    const db = t.platform.orms.checkout!.em.getKysely();
    const count = async () => {
      const { rows } = await sql<{ n: number }>`
        select (select count(*) from checkout."order") + (select count(*) from checkout.idempotent_request)
             + (select count(*) from checkout.outbox) as n`.execute(db);
      return Number(rows[0]!.n);
    };
    const before = await count();
    const refusals = await Promise.all([
      ...Array.from({ length: 20 }, () => late.checkout.addToCart({ ticketId, quantity: 1 }).catch((e: unknown) => toTicketingError(e))),
      ...Array.from({ length: 20 }, () => late.checkout.placeOrder({}).catch((e: unknown) => toTicketingError(e))),
    ]);
    for (const r of refusals) {
      expect(r).toHaveProperty("code", Code.ResourceExhausted);
      expect((r as ReturnType<typeof toTicketingError>).details.insufficientStock?.shortages[0]).toMatchObject({ ticketId, available: 0 });
    }
    expect(await count()).toBe(before);
  });
});
