import { Code, booking, checkout, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forgetOldKeys } from "./platform/idempotency.js";
import { createEventWith, gaAndVipEvent, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Bad input gets a clear error with the right code, never UNKNOWN or INTERNAL, and changes nothing. Several tests
// reproduce one of the seed system's defects (ARCHITECTURE.md §9) and show it is gone.

let t: TestPlatform;
beforeAll(async () => {
  // At debug, so that successful calls are logged too and the logs test sees every kind of line.
  t = await startTestPlatform({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" }, logLevel: "debug" });
});
afterAll(async () => {
  await t?.close();
});

const failure = async (call: Promise<unknown>) => {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (outcome === undefined) throw new Error("the call succeeded but should have failed");
  return toTicketingError(outcome);
};
const stockOf = async (ticketId: string) => (await t.admin.bookings.getStock({ ticketId })).stock!;
const violated = (err: ReturnType<typeof toTicketingError>) => err.details.badRequest?.fieldViolations.map((v) => v.field) ?? [];

describe("quantities: zero, negative and absurd", () => {
  it("AddToCart, UpdateCart, CreateBooking and CreateStock refuse them and change nothing (seed: negative counts grew stock)", async () => {
    const { eventId, ticketIds } = await createEventWith(t.admin, 10);
    const ticketId = ticketIds[0]!;
    const nia = t.customer("nia");
    for (const quantity of [0, -1, -5, 101, 1_000_000, 2 ** 31 - 1]) {
      const err = await failure(nia.checkout.addToCart({ ticketId, quantity }));
      expect(err.code, `AddToCart ${quantity}`).toBe(Code.InvalidArgument);
      expect(violated(err)).toEqual(["quantity"]);
    }
    for (const quantity of [-1, 101, 2 ** 31 - 1]) {
      expect((await failure(nia.checkout.updateCart({ ticketId, quantity }))).code, `UpdateCart ${quantity}`).toBe(Code.InvalidArgument);
    }
    for (const quantity of [0, -3, 1_000_000]) {
      const err = await failure(t.admin.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId, quantity }] }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violated(err)).toEqual(["items[0].quantity"]);
    }
    for (const total of [0, -5, 1_000_001]) {
      const err = await failure(t.admin.bookings.createStock({ ticketId: randomUUID(), eventId, total }));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violated(err)).toEqual(["total"]);
    }
    expect(await stockOf(ticketId)).toMatchObject({ total: 10, held: 0, sold: 0, available: 10 });
    expect((await nia.checkout.getUserCart({})).cart?.items).toEqual([]);
  });

  it("a cart line cannot grow past 100 tickets", async () => {
    const { ticketIds } = await createEventWith(t.admin, 500);
    const ola = t.customer("ola");
    await ola.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 80 });
    const err = await failure(ola.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 30 }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect((await ola.checkout.getUserCart({})).cart?.items.map((i) => i.quantity)).toEqual([80]);
  });
});

describe("ids", () => {
  it("malformed ids are INVALID_ARGUMENT naming the field", async () => {
    const bad = ["", "42", "not-a-uuid", "'; drop table booking.stock; --", `${randomUUID()}x`];
    const alice = t.customer("alice");
    const calls: [string, (id: string) => Promise<unknown>][] = [
      ["event_id", (id) => t.admin.events.getEvent({ eventId: id })],
      ["ticket_id", (id) => t.admin.events.getTicket({ ticketId: id })],
      ["order_id", (id) => alice.checkout.getOrder({ orderId: id })],
      ["ticket_id", (id) => t.admin.bookings.getStock({ ticketId: id })],
      ["ticket_id", (id) => alice.checkout.addToCart({ ticketId: id, quantity: 1 })],
      ["order_id", (id) => alice.checkout.cancelOrder({ orderId: id })],
      ["order_id", (id) => t.admin.checkout.markOrderAsPaid({ orderId: id, paymentReference: "x" })],
      ["booking_ids[0]", (id) => t.admin.bookings.expireBookings({ bookingIds: [id] })],
    ];
    for (const [field, call] of calls) {
      for (const id of bad) {
        const err = await failure(call(id));
        expect(err.code, `${field} "${id}"`).toBe(Code.InvalidArgument);
        expect(violated(err)).toContain(field);
      }
    }
  });

  it("unknown ids are NOT_FOUND", async () => {
    const alice = t.customer("alice");
    const unknown = randomUUID();
    const calls = [
      () => t.admin.events.getEvent({ eventId: unknown }),
      () => t.admin.events.getTicket({ ticketId: unknown }),
      () => alice.checkout.getOrder({ orderId: unknown }),
      () => t.admin.bookings.getStock({ ticketId: unknown }),
      () => alice.checkout.addToCart({ ticketId: unknown, quantity: 1 }),
      () => t.admin.bookings.deleteStock({ ticketId: unknown }),
      () => t.admin.bookings.confirmBookings({ orderId: unknown }),
    ];
    for (const call of calls) {
      expect((await failure(call())).code).toBe(Code.NotFound);
    }
    const err = await failure(t.admin.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId: unknown, quantity: 1 }] }));
    expect(err.code).toBe(Code.NotFound);
  });
});

describe("CreateEvent", () => {
  it("reports every violation of one request at once", async () => {
    const err = await failure(
      t.admin.events.createEvent({
        name: "",
        startsAt: { seconds: 2_000_000_000n },
        endsAt: { seconds: 1_999_999_999n },
        ticketTypes: [
          { name: "GA", price: { amountMinor: -1n, currency: "EUR" }, capacity: 0 },
          { name: "VIP", price: { amountMinor: 100n, currency: "euro" }, capacity: 10 },
        ],
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(violated(err).sort()).toEqual(
      ["ends_at", "name", "ticket_types[0].capacity", "ticket_types[0].price.amount_minor", "ticket_types[1].price.currency"].sort(),
    );
    const none = await failure(t.admin.events.createEvent({ name: "Empty", startsAt: { seconds: 2n }, endsAt: { seconds: 3n } }));
    expect(violated(none)).toEqual(["ticket_types"]);
  });

  it("is idempotent under its key; the same key with another body is refused (seed: no idempotency)", async () => {
    const request = gaAndVipEvent(`launch-${randomUUID()}`, "Idempotent Fest");
    const [a, b] = await Promise.all([t.admin.events.createEvent(request), t.admin.events.createEvent(request)]);
    const c = await t.admin.events.createEvent(request);
    expect(new Set([a.event!.id, b.event!.id, c.event!.id]).size).toBe(1);
    const { stocks } = await t.admin.bookings.getStocks({ eventId: a.event!.id });
    expect(stocks.map((s) => s.total).sort()).toEqual([2, 5]);
    const err = await failure(t.admin.events.createEvent({ ...request, name: "Other Fest" }));
    expect(err.code).toBe(Code.InvalidArgument);
  });
});

describe("idempotency keys", () => {
  it("are forgotten once older than the retention, oldest first in batches; younger ones stay bound", async () => {
    const store = { em: t.platform.orms.checkout!.em.fork(), schema: "checkout" };
    const db = store.em.getKysely();
    const caller = `retention-${randomUUID()}`;
    const ages = [...Array.from({ length: 7 }, (_, i) => 7200 + i), 30, 0];
    for (const [i, age] of ages.entries()) {
      await sql`insert into checkout.request_key (caller, method, key, request_hash, created_at)
        values (${caller}, 'AddToCart', ${`k-${i}`}, 'h', now() - make_interval(secs => ${age}))`.execute(db);
    }
    const left = async () =>
      (await sql<{ key: string }>`select key from checkout.request_key where caller = ${caller} order by key`.execute(db)).rows.map((r) => r.key);
    // Batches of 3 over the 7 keys older than an hour: three statements, every old key gone, the two younger kept.
    expect(await forgetOldKeys(store, 3600, 3)).toBe(7);
    expect(await left()).toEqual(["k-7", "k-8"]);
    expect(await forgetOldKeys(store, 3600, 3)).toBe(0);
    expect(await left()).toEqual(["k-7", "k-8"]);
  });

  it("the same key with another request is INVALID_ARGUMENT on every mutation, and changes nothing; the same request is a retry", async () => {
    const { eventId, ticketIds } = await createEventWith(t.admin, 50, { types: 2 });
    const [a, b] = ticketIds as [string, string];
    const ria = t.customer("ria");
    const key = () => `k-${randomUUID()}`;
    const refused = async (call: () => Promise<unknown>) => {
      const err = await failure(call());
      expect(err.code).toBe(Code.InvalidArgument);
      expect(violated(err)).toEqual(["idempotency_key"]);
    };

    const add = key();
    await ria.checkout.addToCart({ idempotencyKey: add, ticketId: a, quantity: 2 });
    await ria.checkout.addToCart({ idempotencyKey: add, ticketId: a, quantity: 2 });
    await refused(() => ria.checkout.addToCart({ idempotencyKey: add, ticketId: a, quantity: 3 }));
    await refused(() => ria.checkout.addToCart({ idempotencyKey: add, ticketId: b, quantity: 2 }));
    const update = key();
    await ria.checkout.updateCart({ idempotencyKey: update, ticketId: a, quantity: 4 });
    await refused(() => ria.checkout.updateCart({ idempotencyKey: update, ticketId: a, quantity: 1 }));
    expect((await ria.checkout.getUserCart({})).cart?.items.map((i) => [i.ticketId, i.quantity])).toEqual([[a, 4]]);
    // Keys are per caller: another customer's request under the same key is no reuse.
    await t.customer("sol").checkout.addToCart({ idempotencyKey: add, ticketId: b, quantity: 1 });

    const { order } = await ria.checkout.placeOrder({});
    const cancel = key();
    await refused(async () => {
      await ria.checkout.cancelOrder({ idempotencyKey: cancel, orderId: order!.id, reason: "changed my mind" }).catch(() => undefined);
      return ria.checkout.cancelOrder({ idempotencyKey: cancel, orderId: order!.id, reason: "another reason" });
    });
    const { ticketIds: more } = await createEventWith(t.admin, 10);
    await ria.checkout.addToCart({ ticketId: more[0]!, quantity: 1 });
    const { order: second } = await ria.checkout.placeOrder({});
    const pay = key();
    await t.admin.checkout.markOrderAsPaid({ idempotencyKey: pay, orderId: second!.id, paymentReference: "psp-1" });
    await t.admin.checkout.markOrderAsPaid({ idempotencyKey: pay, orderId: second!.id, paymentReference: "psp-1" });
    await refused(() => t.admin.checkout.markOrderAsPaid({ idempotencyKey: pay, orderId: second!.id, paymentReference: "psp-2" }));
    await refused(() => t.admin.checkout.markOrderAsPaid({ idempotencyKey: pay, orderId: order!.id, paymentReference: "psp-1" }));
    expect((await ria.checkout.getOrder({ orderId: order!.id })).order?.status).toBe(checkout.OrderStatus.CANCELLED);
    expect((await ria.checkout.getOrder({ orderId: second!.id })).order?.paymentReference).toBe("psp-1");

    const stockKey = key();
    const ticketId = randomUUID();
    await t.admin.bookings.createStock({ idempotencyKey: stockKey, ticketId, eventId, total: 5 });
    await refused(() => t.admin.bookings.createStock({ idempotencyKey: stockKey, ticketId, eventId, total: 6 }));
    const holdKey = key();
    const orderId = randomUUID();
    await t.admin.bookings.createBooking({ idempotencyKey: holdKey, orderId, items: [{ ticketId, quantity: 1 }] });
    await refused(() => t.admin.bookings.createBooking({ idempotencyKey: holdKey, orderId, items: [{ ticketId, quantity: 2 }] }));
    expect(await stockOf(ticketId)).toMatchObject({ total: 5, held: 1 });
    const confirmKey = key();
    await t.admin.bookings.confirmBookings({ idempotencyKey: confirmKey, orderId, paymentReference: "r1" });
    await refused(() => t.admin.bookings.confirmBookings({ idempotencyKey: confirmKey, orderId, paymentReference: "r2" }));
    const releaseKey = key();
    await t.admin.bookings.deleteOrderBookings({ idempotencyKey: releaseKey, orderId });
    await refused(() => t.admin.bookings.deleteOrderBookings({ idempotencyKey: releaseKey, orderId: randomUUID() }));
    const expireKey = key();
    await t.admin.bookings.expireBookings({ idempotencyKey: expireKey, allDue: true });
    await refused(() => t.admin.bookings.expireBookings({ idempotencyKey: expireKey, bookingIds: [randomUUID()] }));
    const deleteKey = key();
    const spare = randomUUID();
    await t.admin.bookings.createStock({ ticketId: spare, eventId, total: 1 });
    await t.admin.bookings.deleteStock({ idempotencyKey: deleteKey, ticketId: spare });
    await refused(() => t.admin.bookings.deleteStock({ idempotencyKey: deleteKey, ticketId }));
    // A request refused outright leaves its key free: the same key then serves a valid request.
    const freed = key();
    await failure(t.admin.bookings.deleteStock({ idempotencyKey: freed, ticketId: randomUUID() }));
    await failure(ria.checkout.addToCart({ idempotencyKey: freed, ticketId: a, quantity: 0 }));
    await ria.checkout.addToCart({ idempotencyKey: freed, ticketId: a, quantity: 1 });
    expect(await stockOf(ticketId)).toMatchObject({ total: 5, sold: 1 });
  });
});

describe("ExpireBookings (seed: it ignored its ids and expired every hold)", () => {
  it("expires only the ids it is given, and an empty request expires nothing", async () => {
    const { ticketIds } = await createEventWith(t.admin, 20);
    const placeFor = async (who: string) => {
      const c = t.customer(who);
      await c.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
      return (await c.checkout.placeOrder({})).order!;
    };
    const first = await placeFor("exp-1");
    const second = await placeFor("exp-2");
    expect((await failure(t.admin.bookings.expireBookings({}))).code).toBe(Code.InvalidArgument);
    expect((await failure(t.admin.bookings.expireBookings({ allDue: true, bookingIds: [randomUUID()] }))).code).toBe(Code.InvalidArgument);

    const { bookings } = await t.admin.bookings.getBookings({ orderId: first.id });
    const { bookings: expired } = await t.admin.bookings.expireBookings({ bookingIds: bookings.map((b) => b.id) });
    expect(expired.map((b) => b.orderId)).toEqual([first.id]);
    const { bookings: untouched } = await t.admin.bookings.getBookings({ orderId: second.id });
    expect(untouched.map((b) => b.status)).toEqual([booking.BookingStatus.HELD]);
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ held: 2, available: 18 });
    // Nothing is due yet, so sweeping due holds expires nothing either.
    expect((await t.admin.bookings.expireBookings({ allDue: true })).bookings).toEqual([]);
  });
});

describe("lists", () => {
  it("page through events in a stable order, each exactly once (seed: pagination without ORDER BY)", async () => {
    const made = new Set<string>();
    for (let i = 0; i < 7; i++) made.add((await createEventWith(t.admin, 1, { name: `Paged ${i}` })).eventId);
    const seen: { id: string; startsAt: bigint }[] = [];
    let pageToken = "";
    do {
      const page = await t.admin.events.listEvents({ pageSize: 2, pageToken });
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((e) => ({ id: e.id, startsAt: e.startsAt!.seconds * 1_000_000_000n + BigInt(e.startsAt!.nanos) })));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
    for (const id of made) expect(seen.map((s) => s.id)).toContain(id);
    const sorted = [...seen].sort((a, b) => (a.startsAt === b.startsAt ? a.id.localeCompare(b.id) : a.startsAt < b.startsAt ? -1 : 1));
    expect(seen.map((s) => s.id)).toEqual(sorted.map((s) => s.id));
  });

  it("refuses foreign page tokens and out-of-range page sizes", async () => {
    const alice = t.customer("alice");
    expect((await failure(t.admin.events.listEvents({ pageToken: "bm9wZQ" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(alice.checkout.listOrders({ pageToken: "garbage!" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(t.admin.events.listEvents({ pageSize: 501 }))).code).toBe(Code.InvalidArgument);
    expect((await failure(t.admin.events.listEvents({ pageSize: -1 }))).code).toBe(Code.InvalidArgument);
  });
});

describe("orders", () => {
  it("PlaceOrder with an empty cart is FAILED_PRECONDITION", async () => {
    expect((await failure(t.customer("empty-cart").checkout.placeOrder({}))).code).toBe(Code.FailedPrecondition);
  });

  it("AddToCart retried with one key adds once; totals are integer minor units (seed: float prices, no totals)", async () => {
    const { ticketIds } = await createEventWith(t.admin, 50, { priceMinor: 1999n });
    const pia = t.customer("pia");
    await Promise.all([1, 2, 3].map(() => pia.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 3, idempotencyKey: "add-once" })));
    const { cart } = await pia.checkout.getUserCart({});
    expect(cart?.items.map((i) => i.quantity)).toEqual([3]);
    const { order } = await pia.checkout.placeOrder({});
    expect(order?.total).toMatchObject({ amountMinor: 5997n, currency: "EUR" });
    expect(order?.items[0]?.lineTotal?.amountMinor).toBe(5997n);
  });

  it("never shows the enum's zero value as a state (seed: value 0 used as a real state)", async () => {
    const { orders } = await t.admin.checkout.listOrders({ pageSize: 500 });
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.filter((o) => o.status === checkout.OrderStatus.UNSPECIFIED)).toEqual([]);
  });
});

describe("logs", () => {
  it("carry request ids but never request bodies (seed: full request bodies in logs)", async () => {
    const secretName = `Private Gala ${randomUUID()}`;
    const reference = `psp-${randomUUID()}`;
    const { ticketIds } = await createEventWith(t.admin, 3, { name: secretName });
    const quinn: TicketingClient = t.customer("quinn");
    await quinn.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await quinn.checkout.placeOrder({});
    await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: reference });
    const paid = t.logs.lines.filter((l) => l["msg"] === "rpc" && l["method"] === "ticketing.checkout.v1.CheckoutService/MarkOrderAsPaid");
    expect(paid).toContainEqual(expect.objectContaining({ level: 20, code: "ok", requestId: expect.any(String), ms: expect.any(Number) }));
    const text = t.logs.raw.join("\n");
    expect(text).not.toContain(secretName);
    expect(text).not.toContain(reference);
    expect(text).not.toMatch(/Bearer ey/);
  });
});
