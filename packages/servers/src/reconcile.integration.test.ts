import { Code, checkout, toTicketingError } from "@ticketing/sdk";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxBookingEvents } from "./booking/events.js";
import type { HoldStore } from "./booking/ports.js";
import { BookingService } from "./booking/service.js";
import { pgHoldStore } from "./booking/store.js";
import { createEventWith, eventually, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Orders reach a truthful state by themselves, on real PostgreSQL: booking's decisions reach checkout by event,
// by a retried call, or — when both were lost — by the reconciler.

let t: TestPlatform;
/** Booking as another replica whose events never leave: what a lost event looks like from checkout's side. */
let silentBooking: BookingService;
beforeAll(async () => {
  t = await startTestPlatform({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } });
  const events = outboxBookingEvents(() => {});
  const store = pgHoldStore(t.platform.orms.booking!.em, events);
  // Its confirmations, releases and expiries write no events.
  const silent: HoldStore = {
    ...store,
    confirm: (orderId, paymentReference, decide) => store.confirm(orderId, paymentReference, decide, () => []),
    end: (selector, to) => store.end(selector, to, () => []),
  };
  silentBooking = new BookingService(silent, events, 900);
});
afterAll(async () => {
  await t?.close();
});

async function placed(buyer: string) {
  const { ticketIds } = await createEventWith(t.admin, 10);
  const client = t.customer(buyer);
  await client.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
  const { order } = await client.checkout.placeOrder({});
  return { order: order!, client, ticketId: ticketIds[0]! };
}

const statusOf = async (orderId: string) => checkout.OrderStatus[(await t.admin.checkout.getOrder({ orderId })).order!.status];

/** Pretends the order's holds ran out long ago (the reconciler looks only at overdue orders). */
async function overdue(orderId: string) {
  await sql`update checkout."order" set expires_at = now() - interval '1 hour' where id = ${orderId}::uuid`.execute(
    t.platform.orms.checkout!.em.getKysely(),
  );
}

describe("payment confirmed at booking", () => {
  it("booking's CONFIRMED event completes the order even if the payer never heard back", async () => {
    const { order } = await placed("pia");
    await t.admin.bookings.confirmBookings({ orderId: order.id, paymentReference: "psp-1" });
    await eventually(async () => ((await statusOf(order.id)) === "PAID" ? true : undefined));
    expect((await t.admin.checkout.getOrder({ orderId: order.id })).order!.paymentReference).toBe("psp-1");
  });

  it("a retried MarkOrderAsPaid completes an order whose holds were confirmed, even past its expiry", async () => {
    const { order } = await placed("quinn");
    await silentBooking.confirm(order.id, "psp-2");
    await overdue(order.id);
    const { order: paid } = await t.admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: "psp-2" });
    expect(checkout.OrderStatus[paid!.status]).toBe("PAID");
    expect((await t.admin.bookings.getStock({ ticketId: paid!.items[0]!.ticketId })).stock).toMatchObject({ sold: 2, held: 0 });
  });

  it("paying a paid order again: the same reference is a no-op, another one is refused and named", async () => {
    const { order } = await placed("rae");
    await t.admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: "psp-3" });
    const again = await t.admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: "psp-3" });
    expect(again.order!.paymentReference).toBe("psp-3");
    const err = toTicketingError(
      await t.admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: "psp-other" }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.message).toContain('"psp-3"');
    expect((await t.admin.checkout.getOrder({ orderId: order.id })).order!.paymentReference).toBe("psp-3");
  });

  it("paying an expired order is still refused, and sells nothing", async () => {
    const { order, ticketId } = await placed("sam");
    await silentBooking.expireIds((await t.admin.bookings.getBookings({ orderId: order.id })).bookings.map((b) => b.id));
    await overdue(order.id);
    const err = toTicketingError(
      await t.admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: "late" }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ sold: 0, held: 0 });
  });
});

describe("the reconciler", () => {
  it("repairs overdue orders from booking's holds when every event about them was lost", async () => {
    // Orders the tests above left overdue are repaired first, so this pass counts only the ones below.
    await t.platform.checkout!.reconcile(1000);
    const confirmed = await placed("tia");
    await silentBooking.confirm(confirmed.order.id, "psp-4");
    const expired = await placed("uli");
    await silentBooking.expireIds((await t.admin.bookings.getBookings({ orderId: expired.order.id })).bookings.map((b) => b.id));
    const released = await placed("vera");
    await silentBooking.release(released.order.id);
    const untouched = await placed("wes");
    for (const o of [confirmed, expired, released]) await overdue(o.order.id);

    const before = t.platform.checkout!.repairs;
    expect(await t.platform.checkout!.reconcile(1000)).toBe(3);
    expect(t.platform.checkout!.repairs - before).toBe(3);
    expect(await statusOf(confirmed.order.id)).toBe("PAID");
    expect((await t.admin.checkout.getOrder({ orderId: confirmed.order.id })).order!.paymentReference).toBe("psp-4");
    expect(await statusOf(expired.order.id)).toBe("EXPIRED");
    expect(await statusOf(released.order.id)).toBe("CANCELLED");
    expect(await statusOf(untouched.order.id)).toBe("PENDING_PAYMENT");
    // A second pass finds nothing left to repair.
    expect(await t.platform.checkout!.reconcile(1000)).toBe(0);
  });
});
