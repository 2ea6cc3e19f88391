import { fromBinary } from "@bufbuild/protobuf";
import { Code, booking, checkout, toTicketingError } from "@ticketing/sdk";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { TOPICS, type BusMessage } from "./platform/bus.js";
import { createEventWith, eventually, platformForFile, stockIn, type TestPlatform } from "./testing/harness.js";

// Holds that run out: a 1-second TTL and a sweep every second. The expiry travels booking → outbox → bus →
// checkout, and the order becomes EXPIRED.

let t: TestPlatform;
const orderEvents: BusMessage[] = [];
platformForFile({ env: { TICKETING_HOLD_TTL: "1s", TICKETING_EXPIRY_CRON: "* * * * * *" } }, async (p) => {
  t = p;
  await t.platform.bus.subscribe({
    topic: TOPICS.orderEvents,
    group: "test-observer",
    handle: async (m) => {
      orderEvents.push(m);
    },
  });
});
const stockOf = (ticketId: string) => stockIn(t, ticketId);

describe("hold expiry", () => {
  it("a short TTL expires the holds, restores the stock and marks the order EXPIRED", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const frank = t.customer("frank");
    await frank.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 3 });
    const { order } = await frank.checkout.placeOrder({});
    expect(order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);

    const expired = await eventually(async () => {
      const { order: now } = await frank.checkout.getOrder({ orderId: order!.id });
      return now?.status === checkout.OrderStatus.EXPIRED ? now : undefined;
    }, 15_000, "the order to expire");
    expect(expired.statusReason).toMatch(/expired/);
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ total: 10, held: 0, sold: 0, available: 10 });
    const { bookings } = await t.admin.bookings.getBookings({ orderId: order!.id });
    expect(bookings.map((b) => b.status)).toEqual([booking.BookingStatus.EXPIRED]);

    const err = toTicketingError(
      await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "too-late" }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.details.stateConflict?.currentState).toBe("ORDER_STATUS_EXPIRED");
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ sold: 0 });

    // The order's events reached the bus in order, keyed by the order id.
    const mine = await eventually(async () => {
      const list = orderEvents.filter((m) => m.key === order!.id);
      return list.length >= 2 ? list : undefined;
    });
    expect(mine.map((m) => m.type)).toEqual(["ORDER_EVENT_TYPE_PLACED", "ORDER_EVENT_TYPE_EXPIRED"]);
    for (const m of mine) {
      const event = fromBinary(checkout.OrderEventSchema, m.value);
      expect(event.orderId).toBe(order!.id);
      expect(event.eventId).toBe(m.eventId);
      expect(event.occurredAt).toBeDefined();
    }
  });

  it("a failed hold rolls back and publishes nothing", async () => {
    const { ticketIds } = await createEventWith(t.admin, 2);
    const gina = t.customer("gina");
    await gina.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order: ok } = await gina.checkout.placeOrder({});
    const hank = t.customer("hank");
    await hank.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const err = toTicketingError(await hank.checkout.placeOrder({}).catch((e: unknown) => e));
    expect(err.code).toBe(Code.ResourceExhausted);
    const { orders } = await hank.checkout.listOrders({});
    const failed = orders[0]!;
    expect(failed.status).toBe(checkout.OrderStatus.FAILED);

    const db = t.platform.orms.booking!.em.fork().getKysely();
    const { rows } = await sql<{ key: string; type: string }>`select key, type from booking.outbox`.execute(db);
    expect(rows.filter((r) => r.key === failed.id)).toEqual([]);
    expect(rows.filter((r) => r.key === ok!.id).map((r) => r.type)).toContain("BOOKING_EVENT_TYPE_HELD");
    const { rows: booked } = await sql`select id from booking.booking where order_id = ${failed.id}::uuid`.execute(db);
    expect(booked).toEqual([]);
  });
});
