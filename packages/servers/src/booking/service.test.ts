// The booking use cases on an in-memory hold store: the hold state table through the service, all-or-nothing and
// idempotent holds, races for the last units and between the ends of a hold, and one event per change. The same
// rules on real PostgreSQL over real gRPC: concurrency, buckets, expiry, deadlocks and flow integration tests.
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BusMessage } from "../platform/bus.js";
import type { BookingRecord, BookingStatus } from "./domain/booking.js";
import { MemoryHoldStore } from "./memory-store.js";
import type { BookingEventType, BookingEvents } from "./ports.js";
import { BookingService } from "./service.js";

const EVENT = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const TTL = 600;

function setup() {
  let published = 0;
  const events: BookingEvents = {
    prepare: (type: BookingEventType, orderId: string, bookings: readonly BookingRecord[]): BusMessage => ({
      topic: "booking-events",
      key: orderId,
      type,
      eventId: randomUUID(),
      value: new TextEncoder().encode(bookings.map((b) => `${b.id}:${b.status}`).join(",")),
    }),
    committed: () => {
      published++;
    },
  };
  const store = new MemoryHoldStore(events);
  const service = new BookingService(store, events, TTL);
  const stock = async (total: number, buckets = 1) => {
    const ticketId = randomUUID();
    await service.createStock(ticketId, EVENT, total, buckets);
    return ticketId;
  };
  const eventsOf = (orderId: string) => store.outbox.filter((e) => e.key === orderId).map((e) => e.type);
  /** The ids of the bookings each event of the order carried. */
  const eventBookings = (orderId: string) =>
    store.outbox.filter((e) => e.key === orderId).map((e) => new TextDecoder().decode(e.value).split(",").map((s) => s.split(":")[0]).sort());
  const statuses = async (orderId: string) =>
    (await service.listBookings({ orderId }, undefined, 100)).sort((a, b) => a.ticketId.localeCompare(b.ticketId)).map((b) => b.status);
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  return { store, service, stock, eventsOf, eventBookings, statuses, failure, published: () => published };
}

afterEach(() => {
  vi.useRealTimers();
});

type Move = "confirm" | "release" | "expire" | "expireDue";
type Ended = Exclude<BookingStatus, "HELD">;

/** What each move does to a hold in each state: "refused" throws FAILED_PRECONDITION, "kept" changes nothing. */
const TABLE: Record<BookingStatus, Record<Move, BookingStatus | "refused" | "kept">> = {
  HELD: { confirm: "CONFIRMED", release: "RELEASED", expire: "EXPIRED", expireDue: "EXPIRED" },
  CONFIRMED: { confirm: "kept", release: "kept", expire: "kept", expireDue: "kept" },
  RELEASED: { confirm: "refused", release: "kept", expire: "kept", expireDue: "kept" },
  EXPIRED: { confirm: "refused", release: "kept", expire: "kept", expireDue: "kept" },
};

describe("the hold state table, through the use cases", () => {
  for (const [from, row] of Object.entries(TABLE) as [BookingStatus, Record<Move, BookingStatus | "refused" | "kept">][]) {
    for (const [move, expected] of Object.entries(row) as [Move, BookingStatus | "refused" | "kept"][]) {
      it(`${from} --${move}--> ${expected}`, async () => {
        vi.useFakeTimers({ toFake: ["Date"] });
        const start = Date.now();
        const { service, stock, eventsOf, statuses, failure, store, published } = setup();
        const ticketId = await stock(10);
        const orderId = randomUUID();
        const [held] = (await service.hold(orderId, [{ ticketId, quantity: 3 }], undefined)).bookings;
        const reach: Record<Ended, () => Promise<unknown>> = {
          CONFIRMED: () => service.confirm(orderId, "pay-1"),
          RELEASED: () => service.release(orderId),
          EXPIRED: () => service.expireIds([held!.id]),
        };
        if (from !== "HELD") await reach[from]();
        const before = eventsOf(orderId);
        const publishedBefore = published();

        if (move === "expireDue") vi.setSystemTime(start + (TTL + 1) * 1000);
        const run: Record<Move, () => Promise<BookingRecord[]>> = {
          confirm: () => service.confirm(orderId, "pay-2"),
          release: () => service.release(orderId),
          expire: () => service.expireIds([held!.id]),
          expireDue: () => service.expireDue(100),
        };
        const outcome = await failure(run[move]());

        const now = expected === "refused" || expected === "kept" ? from : expected;
        expect(await statuses(orderId)).toEqual([now]);
        expect(eventsOf(orderId)).toEqual(now === from ? before : [...before, now]);
        expect(published() - publishedBefore).toBe(now === from ? 0 : 1);
        expect(await service.getStock(ticketId)).toMatchObject({ total: 10, held: now === "HELD" ? 3 : 0, sold: now === "CONFIRMED" ? 3 : 0 });
        if (expected === "refused") {
          expect(outcome).toMatchObject({ kind: "FailedPrecondition", details: { stateConflict: { currentState: `BOOKING_STATUS_${from}` } } });
        } else {
          expect(outcome).toBeUndefined();
        }
        // A sale keeps the payment that made it; nothing else has one.
        const [after] = await store.listBookings({ orderId }, undefined, 1);
        expect(after!.paymentReference).toBe(now === "CONFIRMED" ? (from === "CONFIRMED" ? "pay-1" : "pay-2") : "");
      });
    }
  }

  it("confirm after the hold's expiry, before any sweep, is refused and sells nothing; the sweep then expires it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { service, stock, eventsOf, statuses, failure } = setup();
    const ticketId = await stock(5);
    const orderId = randomUUID();
    await service.hold(orderId, [{ ticketId, quantity: 2 }], 60);
    vi.setSystemTime(Date.now() + 59_999);
    expect(await service.expireDue(10)).toEqual([]);
    vi.setSystemTime(Date.now() + 1);
    expect(await failure(service.confirm(orderId, "late"))).toMatchObject({
      kind: "FailedPrecondition",
      message: expect.stringContaining("have expired"),
      details: { stateConflict: { currentState: "BOOKING_STATUS_HELD", attempted: "ConfirmBookings" } },
    });
    expect(await service.getStock(ticketId)).toMatchObject({ held: 2, sold: 0 });
    expect((await service.expireDue(10)).map((b) => b.orderId)).toEqual([orderId]);
    expect(await statuses(orderId)).toEqual(["EXPIRED"]);
    expect(await service.getStock(ticketId)).toMatchObject({ held: 0, sold: 0 });
    expect(eventsOf(orderId)).toEqual(["HELD", "EXPIRED"]);
  });

  it("an order partly expired cannot be confirmed; releasing it ends only the hold still HELD", async () => {
    const { service, stock, eventsOf, statuses, failure } = setup();
    const [a, b] = [await stock(10), await stock(10)];
    const orderId = randomUUID();
    const { bookings } = await service.hold(orderId, [{ ticketId: a, quantity: 1 }, { ticketId: b, quantity: 2 }], undefined);
    const first = bookings.find((x) => x.ticketId === a)!;
    expect((await service.expireIds([first.id])).map((x) => x.id)).toEqual([first.id]);
    expect(await failure(service.confirm(orderId, "pay"))).toMatchObject({
      kind: "FailedPrecondition",
      message: expect.stringContaining("were expired"),
      details: { stateConflict: { currentState: "BOOKING_STATUS_EXPIRED" } },
    });
    const released = await service.release(orderId);
    expect(released.map((x) => x.ticketId)).toEqual([b]);
    expect(await service.release(orderId)).toEqual([]);
    const byTicket = new Map([[a, "EXPIRED"], [b, "RELEASED"]]);
    expect(await statuses(orderId)).toEqual([...byTicket.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([, s]) => s));
    expect(await service.getStock(a)).toMatchObject({ held: 0, sold: 0 });
    expect(await service.getStock(b)).toMatchObject({ held: 0, sold: 0 });
    expect(eventsOf(orderId)).toEqual(["HELD", "EXPIRED", "RELEASED"]);
  });

  it("confirm of an order without holds is NOT_FOUND and changes nothing", async () => {
    const { service, store, failure } = setup();
    expect(await failure(service.confirm(randomUUID(), "pay"))).toMatchObject({ kind: "NotFound" });
    expect(store.outbox).toEqual([]);
  });
});

describe("holds", () => {
  it("all or nothing: one short item refuses the order with every shortage, and nothing is held", async () => {
    const { service, stock, store, failure } = setup();
    const [a, b, c] = [await stock(10), await stock(3, 2), await stock(1)];
    const orderId = randomUUID();
    const items = [{ ticketId: a, quantity: 2 }, { ticketId: b, quantity: 4 }, { ticketId: c, quantity: 2 }];
    expect(await failure(service.hold(orderId, items, undefined))).toMatchObject({
      kind: "ResourceExhausted",
      details: {
        shortages: expect.arrayContaining([
          { ticketId: b, requested: 4, available: 3 },
          { ticketId: c, requested: 2, available: 1 },
        ]),
      },
    });
    for (const id of [a, b, c]) expect((await service.getStock(id)).held).toBe(0);
    expect(await service.listBookings({ orderId }, undefined, 10)).toEqual([]);
    expect(store.outbox).toEqual([]);
    // The order may try again with what is there.
    expect((await service.hold(orderId, [{ ticketId: b, quantity: 3 }], undefined)).created).toBe(true);
    expect(await service.getStock(b)).toMatchObject({ held: 3, buckets: 2 });
  });

  it("an unknown ticket type is NOT_FOUND, a passed deadline DEADLINE_EXCEEDED; neither holds anything", async () => {
    const { service, stock, store, failure } = setup();
    const a = await stock(10);
    const ghost = randomUUID();
    const err = await failure(service.hold(randomUUID(), [{ ticketId: a, quantity: 1 }, { ticketId: ghost, quantity: 1 }], undefined));
    expect(err).toMatchObject({ kind: "NotFound", message: expect.stringContaining(ghost) });
    expect(await failure(service.hold(randomUUID(), [{ ticketId: a, quantity: 1 }], undefined, Date.now() - 1))).toMatchObject({
      kind: "DeadlineExceeded",
    });
    expect((await service.getStock(a)).held).toBe(0);
    expect(store.outbox).toEqual([]);
  });

  it("a hold takes the default TTL, answers its bookings by ticket type, and is idempotent per order", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { service, stock, eventsOf, published } = setup();
    const [a, b] = [await stock(10), await stock(10)];
    const [first, second] = [a, b].sort();
    const orderId = randomUUID();
    const held = await service.hold(orderId, [{ ticketId: second!, quantity: 2 }, { ticketId: first!, quantity: 1 }], undefined);
    expect(held.created).toBe(true);
    expect(held.expiresAt.getTime()).toBe(Date.now() + TTL * 1000);
    expect(held.bookings.map((x) => x.ticketId)).toEqual([first, second]);
    // Again, concurrently, and with other items: the first holds, nothing more taken.
    const again = await Promise.all([
      service.hold(orderId, [{ ticketId: a, quantity: 5 }], 30),
      service.hold(orderId, [{ ticketId: a, quantity: 5 }], 30),
      service.hold(orderId, [{ ticketId: b, quantity: 9 }], 30),
    ]);
    for (const r of again) {
      expect(r.created).toBe(false);
      expect(r.bookings.map((x) => x.id)).toEqual(held.bookings.map((x) => x.id));
      expect(r.expiresAt).toEqual(held.expiresAt);
    }
    expect((await service.getStock(a)).held + (await service.getStock(b)).held).toBe(3);
    expect(eventsOf(orderId)).toEqual(["HELD"]);
    expect(published()).toBe(1);
  });

  it("200 buyers racing for the last 25 units, split over 4 buckets: exactly 12 pairs held, none beyond the stock", async () => {
    const { service, stock, store, failure } = setup();
    const ticketId = await stock(25, 4);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () => failure(service.hold(randomUUID(), [{ ticketId, quantity: 2 }], undefined))),
    );
    const refused = outcomes.filter((o) => o !== undefined);
    expect(refused.length).toBe(200 - 12);
    for (const r of refused) expect(r).toMatchObject({ kind: "ResourceExhausted" });
    expect(await service.getStock(ticketId)).toMatchObject({ total: 25, held: 24, sold: 0 });
    for (const bucket of store.stocks.get(ticketId)!.buckets) expect(bucket.total - bucket.held - bucket.sold).toBeGreaterThanOrEqual(0);
    expect((await service.listBookings({ status: "HELD" }, undefined, 1000)).length).toBe(12);
    expect(store.outbox.length).toBe(12);
  });

  it("orders of two ticket types racing for both: every order all or nothing, neither type oversold", async () => {
    const { service, stock, failure } = setup();
    const [a, b] = [await stock(7), await stock(30, 3)];
    const orders = Array.from({ length: 60 }, (_, i) => ({ orderId: randomUUID(), items: [{ ticketId: a, quantity: 1 }, { ticketId: b, quantity: 1 + (i % 3) }] }));
    await Promise.all(orders.map((o) => failure(service.hold(o.orderId, o.items, undefined))));
    let heldA = 0;
    let heldB = 0;
    for (const o of orders) {
      const bookings = await service.listBookings({ orderId: o.orderId }, undefined, 10);
      expect([0, 2]).toContain(bookings.length);
      for (const x of bookings) {
        if (x.ticketId === a) heldA += x.quantity;
        else heldB += x.quantity;
      }
    }
    expect(heldA).toBeLessThanOrEqual(7);
    expect(heldB).toBeLessThanOrEqual(30);
    expect(await service.getStock(a)).toMatchObject({ held: heldA });
    expect(await service.getStock(b)).toMatchObject({ held: heldB });
  });
});

describe("ends of a hold racing", () => {
  it("confirm, release and expiry racing on each of 30 orders end each hold once: one call wins, the others change nothing", async () => {
    const { service, stock, eventsOf, statuses } = setup();
    const ticketId = await stock(100);
    const orders = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const orderId = randomUUID();
        const { bookings } = await service.hold(orderId, [{ ticketId, quantity: 2 }], undefined);
        return { orderId, bookingId: bookings[0]!.id };
      }),
    );
    const MOVES = ["confirm", "release", "expire"] as const;
    const results = await Promise.all(
      orders.map(async ({ orderId, bookingId }, n) => {
        const calls: { confirm?: Promise<unknown>; release?: Promise<BookingRecord[]>; expire?: Promise<BookingRecord[]> } = {};
        const start = {
          confirm: () => (calls.confirm = service.confirm(orderId, `pay-${n}`).then(() => "confirmed", (e: unknown) => e)),
          release: () => (calls.release = service.release(orderId)),
          expire: () => (calls.expire = service.expireIds([bookingId])),
        };
        // Each order sees the three calls started in another order.
        for (const k of [...MOVES.slice(n % 3), ...MOVES.slice(0, n % 3)]) start[k]();
        return { orderId, confirm: await calls.confirm, released: (await calls.release!).length, expired: (await calls.expire!).length };
      }),
    );
    let sold = 0;
    const winners = new Set<string>();
    for (const { orderId, confirm, released, expired } of results) {
      const [final] = await statuses(orderId);
      winners.add(final!);
      expect(eventsOf(orderId)).toEqual(["HELD", final]);
      expect(released).toBe(final === "RELEASED" ? 1 : 0);
      expect(expired).toBe(final === "EXPIRED" ? 1 : 0);
      if (final === "CONFIRMED") {
        expect(confirm).toBe("confirmed");
        sold += 2;
      } else {
        expect(confirm).toMatchObject({ kind: "FailedPrecondition" });
      }
    }
    expect([...winners].sort()).toEqual(["CONFIRMED", "EXPIRED", "RELEASED"]);
    expect(await service.getStock(ticketId)).toMatchObject({ held: 0, sold });
  });

  it("two sweepers racing over 50 due orders of two holds each expire every hold once, one event per order", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { service, stock, eventsOf, eventBookings, published } = setup();
    const [a, b] = [await stock(500, 3), await stock(500)];
    const orders = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const orderId = randomUUID();
        const { bookings } = await service.hold(orderId, [{ ticketId: a, quantity: 1 }, { ticketId: b, quantity: 3 }], 60);
        return { orderId, ids: bookings.map((x) => x.id).sort() };
      }),
    );
    const heldEvents = published();
    vi.setSystemTime(Date.now() + 61_000);
    const sweep = async () => {
      const ended: BookingRecord[] = [];
      for (;;) {
        const batch = await service.expireDue(7);
        ended.push(...batch);
        if (batch.length === 0) return ended;
      }
    };
    const [x, y] = await Promise.all([sweep(), sweep()]);
    expect(x.length + y.length).toBe(100);
    expect(new Set([...x, ...y].map((e) => e.id)).size).toBe(100);
    expect(await service.getStock(a)).toMatchObject({ held: 0, total: 500 });
    expect(await service.getStock(b)).toMatchObject({ held: 0, total: 500 });
    for (const o of orders) {
      const types = eventsOf(o.orderId);
      expect(types.filter((t) => t === "EXPIRED").length).toBeGreaterThanOrEqual(1);
      // Each hold is in exactly one EXPIRED event, whichever sweep batch ended it.
      const expired = eventBookings(o.orderId).slice(1).flat().sort();
      expect(expired).toEqual(o.ids);
    }
    // Published once per batch that ended something, not once per hold nor per empty batch.
    expect(published() - heldEvents).toBe(Math.ceil(x.length / 7) + Math.ceil(y.length / 7));
  });

  it("one ending call over many orders records one event per order with all of its holds", async () => {
    const { service, stock, eventsOf, eventBookings, published } = setup();
    const [a, b] = [await stock(50), await stock(50)];
    const orders: { orderId: string; ids: string[] }[] = [];
    for (let n = 0; n < 5; n++) {
      const orderId = randomUUID();
      const { bookings } = await service.hold(orderId, [{ ticketId: a, quantity: 1 }, { ticketId: b, quantity: 1 }], undefined);
      orders.push({ orderId, ids: bookings.map((x) => x.id).sort() });
    }
    const before = published();
    const expired = await service.expireIds(orders.flatMap((o) => o.ids));
    expect(expired.length).toBe(10);
    expect(published()).toBe(before + 1);
    for (const o of orders) {
      expect(eventsOf(o.orderId)).toEqual(["HELD", "EXPIRED"]);
      expect(eventBookings(o.orderId)[1]).toEqual(o.ids);
    }
    // Nothing left to end: no event, nothing published.
    expect(await service.expireIds(orders.flatMap((o) => o.ids))).toEqual([]);
    expect(await service.release(orders[0]!.orderId)).toEqual([]);
    expect(published()).toBe(before + 1);
  });
});

describe("stock", () => {
  it("is created once per ticket type (the same total and split again is fine), split over buckets, and deleted only when unused", async () => {
    const { service, failure } = setup();
    const ticketId = randomUUID();
    expect(await service.createStock(ticketId, EVENT, 10, 3)).toMatchObject({ total: 10, held: 0, sold: 0, buckets: 3 });
    expect(await service.createStock(ticketId, EVENT, 10, 3)).toMatchObject({ total: 10, buckets: 3 });
    expect(await failure(service.createStock(ticketId, EVENT, 11, 3))).toMatchObject({ kind: "AlreadyExists" });
    expect(await failure(service.createStock(ticketId, EVENT, 10, 2))).toMatchObject({ kind: "AlreadyExists" });
    expect(await failure(service.getStock(randomUUID()))).toMatchObject({ kind: "NotFound" });

    const orderId = randomUUID();
    await service.hold(orderId, [{ ticketId, quantity: 1 }], undefined);
    expect(await failure(service.deleteStock(ticketId))).toMatchObject({ kind: "FailedPrecondition" });
    await service.release(orderId);
    await service.deleteStock(ticketId);
    expect(await failure(service.getStock(ticketId))).toMatchObject({ kind: "NotFound" });
    expect(await failure(service.deleteStock(ticketId))).toMatchObject({ kind: "NotFound" });
    expect(await failure(service.hold(randomUUID(), [{ ticketId, quantity: 1 }], undefined))).toMatchObject({ kind: "NotFound" });
  });

  it("lists stocks by (event, ticket type) and bookings newest first, both in pages", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { service, stock } = setup();
    const tickets = [await stock(5), await stock(5), await stock(5)].sort();
    const page1 = await service.listStocks(EVENT, undefined, 2);
    expect(page1.map((s) => s.ticketId)).toEqual(tickets.slice(0, 2));
    const page2 = await service.listStocks(EVENT, [EVENT, page1[1]!.ticketId], 2);
    expect(page2.map((s) => s.ticketId)).toEqual(tickets.slice(2));
    expect(await service.listStocks(randomUUID(), undefined, 10)).toEqual([]);

    const orders: string[] = [];
    for (const ticketId of tickets) {
      vi.setSystemTime(Date.now() + 1000);
      const orderId = randomUUID();
      await service.hold(orderId, [{ ticketId, quantity: 1 }], undefined);
      orders.push(orderId);
    }
    await service.release(orders[1]!);
    const newest = await service.listBookings({}, undefined, 2);
    expect(newest.map((b) => b.orderId)).toEqual([orders[2], orders[1]]);
    const rest = await service.listBookings({}, [newest[1]!.createdAt.toISOString(), newest[1]!.id], 2);
    expect(rest.map((b) => b.orderId)).toEqual([orders[0]]);
    expect((await service.listBookings({ status: "RELEASED" }, undefined, 10)).map((b) => b.orderId)).toEqual([orders[1]]);
  });
});
