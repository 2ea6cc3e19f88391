import { Code, toTicketingError } from "@ticketing/sdk";
import { sql } from "kysely";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxBookingEvents } from "./booking/events.js";
import { bookingModule } from "./booking/index.js";
import { BookingService } from "./booking/service.js";
import { openOrm, type Orm } from "./platform/db.js";
import { DomainError } from "./platform/errors.js";
import { createLogger } from "./platform/logger.js";
import { createEventWith, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Stock split over buckets, on real PostgreSQL with two booking replicas (two services, two pools) racing.

let t: TestPlatform;
let second: Orm;
let replicaB: BookingService;
beforeAll(async () => {
  t = await startTestPlatform({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } });
  second = await openOrm(bookingModule.schema, t.db.url, 10, createLogger("silent"));
  replicaB = new BookingService(second.em, outboxBookingEvents(() => {}), 900);
});
afterAll(async () => {
  await second?.close();
  await t?.close();
});

interface BucketRow {
  bucket: number;
  total: number;
  held: number;
  sold: number;
  held_by_bookings: number;
  sold_by_bookings: number;
}

/** Each bucket's counts next to what the bookings drawn from it say they should be. */
async function buckets(ticketId: string): Promise<BucketRow[]> {
  const { rows } = await sql<BucketRow>`
    select s.bucket, s.total, s.held, s.sold,
      coalesce((select sum(quantity) from booking.booking b where b.ticket_id = s.ticket_id and b.bucket = s.bucket and b.status = 'HELD'), 0)::int as held_by_bookings,
      coalesce((select sum(quantity) from booking.booking b where b.ticket_id = s.ticket_id and b.bucket = s.bucket and b.status = 'CONFIRMED'), 0)::int as sold_by_bookings
    from booking.stock s where s.ticket_id = ${ticketId}::uuid order by s.bucket`.execute(second.em.fork().getKysely());
  return rows;
}

const expectConsistent = (rows: BucketRow[], capacity: number) => {
  expect(rows.reduce((sum, r) => sum + r.total, 0)).toBe(capacity);
  for (const r of rows) {
    expect(r.held, `bucket ${r.bucket} held`).toBe(r.held_by_bookings);
    expect(r.sold, `bucket ${r.bucket} sold`).toBe(r.sold_by_bookings);
    expect(r.held + r.sold).toBeLessThanOrEqual(r.total);
  }
};

describe("stock buckets", () => {
  it("500 buyers on two replicas, K = 8: exactly the capacity is held, never more", async () => {
    const capacity = 1000;
    const { event } = await t.admin.events.createEvent({
      name: "Bucketed",
      startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
      endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
      ticketTypes: [{ name: "GA", price: { amountMinor: 1000n, currency: "EUR" }, capacity, stockBuckets: 8 }],
    });
    const ticketId = event!.ticketTypes[0]!.id;
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ total: capacity, available: capacity, buckets: 8 });
    expect((await buckets(ticketId)).map((b) => b.total)).toEqual(Array(8).fill(capacity / 8));

    const replicas = [t.platform.booking!, replicaB];
    // Every buyer keeps trying (1–4 tickets) until a refusal says nothing at all is left, as buyers in a queue do.
    let held = 0;
    let refusals = 0;
    await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        for (;;) {
          const quantity = 1 + (i % 4);
          try {
            const result = await replicas[i % 2]!.hold(randomUUID(), [{ ticketId, quantity }], undefined);
            held += result.bookings[0]!.quantity;
          } catch (err) {
            expect(err).toBeInstanceOf(DomainError);
            expect((err as DomainError).kind).toBe("ResourceExhausted");
            refusals++;
            const left = (err as DomainError).details.shortages?.[0]?.available ?? 0;
            // Sold-out is exact across buckets: a refusal reports the true remainder, which is less than asked.
            expect(left).toBeLessThan(quantity);
            if (left === 0) return;
          }
        }
      }),
    );
    expect(held).toBe(capacity);
    const stock = (await t.admin.bookings.getStock({ ticketId })).stock!;
    expect(stock).toMatchObject({ total: capacity, held: capacity, sold: 0, available: 0, buckets: 8 });
    const rows = await buckets(ticketId);
    expectConsistent(rows, capacity);
    expect(rows.filter((r) => r.held > 0).length).toBeGreaterThan(1);
    console.log(`[buckets] 500 buyers, 2 replicas, K = 8: ${held}/${capacity} held, ${refusals} refusals, per bucket ${rows.map((r) => r.held).join("/")}`);
  });

  it("confirm, release and expiry return each hold's units to the bucket it came from", async () => {
    const capacity = 64;
    const { event } = await t.admin.events.createEvent({
      name: "Returns",
      startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
      endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
      ticketTypes: [{ name: "GA", price: { amountMinor: 1000n, currency: "EUR" }, capacity, stockBuckets: 4 }],
    });
    const ticketId = event!.ticketTypes[0]!.id;
    const orders: string[] = Array.from({ length: 16 }, () => randomUUID());
    await Promise.all(orders.map((id, i) => [t.platform.booking!, replicaB][i % 2]!.hold(id, [{ ticketId, quantity: 3 }], undefined)));
    expectConsistent(await buckets(ticketId), capacity);

    await Promise.all(orders.slice(0, 5).map((id) => t.platform.booking!.confirm(id)));
    await Promise.all(orders.slice(5, 10).map((id) => replicaB.release(id)));
    const { bookings } = await t.admin.bookings.getBookings({ pageSize: 100, status: 1 });
    await replicaB.expireIds(bookings.filter((b) => orders.slice(10, 13).includes(b.orderId)).map((b) => b.id));

    const rows = await buckets(ticketId);
    expectConsistent(rows, capacity);
    expect(rows.reduce((s, r) => s + r.sold, 0)).toBe(15);
    expect(rows.reduce((s, r) => s + r.held, 0)).toBe(9);
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ total: 64, held: 9, sold: 15, available: 40 });
  });

  it("an item larger than any one bucket is still held while the buckets together have it", async () => {
    const { event } = await t.admin.events.createEvent({
      name: "Spread",
      startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
      endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
      ticketTypes: [{ name: "GA", price: { amountMinor: 1000n, currency: "EUR" }, capacity: 10, stockBuckets: 8 }],
    });
    const ticketId = event!.ticketTypes[0]!.id;
    const result = await t.platform.booking!.hold(randomUUID(), [{ ticketId, quantity: 9 }], undefined);
    expect(result.bookings).toHaveLength(1);
    const rows = await buckets(ticketId);
    expectConsistent(rows, 10);
    const err = toTicketingError(
      await t.admin.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId, quantity: 2 }] }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.details.insufficientStock?.shortages).toEqual([expect.objectContaining({ ticketId, requested: 2, available: 1 })]);
  });

  it("refuses a split finer than the stock", async () => {
    const err = toTicketingError(
      await t.admin.bookings
        .createStock({ ticketId: randomUUID(), eventId: randomUUID(), total: 3, buckets: 4 })
        .catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.details.badRequest?.fieldViolations.map((v) => v.field)).toEqual(["buckets"]);
  });

  it("an existing one-bucket stock still sells to the last unit", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5);
    await t.platform.booking!.hold(randomUUID(), [{ ticketId: ticketIds[0]!, quantity: 5 }], undefined);
    expect((await t.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 5, available: 0, buckets: 1 });
  });
});
