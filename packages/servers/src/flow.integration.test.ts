import { create, toBinary } from "@bufbuild/protobuf";
import { Code, booking, checkout, toTicketingError } from "@ticketing/sdk";
import * as http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { createEventWith, eventually, platformForFile, stockIn, type TestPlatform } from "./testing/harness.js";

// The buying flow end to end over real gRPC on real PostgreSQL: every call goes through the network, the auth and
// error interceptors, and the service-to-service SDK clients.

let t: TestPlatform;
platformForFile({}, (p) => {
  t = p;
});
const stockOf = (ticketId: string) => stockIn(t, ticketId);

describe("buying flow", () => {
  it("create event → add to cart → place order → pay: holds confirmed, stock sold", async () => {
    const { eventId, ticketIds } = await createEventWith(t.admin, 100, { priceMinor: 4550n, types: 2 });
    const [standing, seated] = ticketIds as [string, string];
    const alice = t.customer("alice");

    await alice.checkout.addToCart({ ticketId: standing, quantity: 2 });
    await alice.checkout.addToCart({ ticketId: seated, quantity: 1 });
    const { cart } = await alice.checkout.getUserCart({});
    expect(cart?.total).toMatchObject({ amountMinor: 13650n, currency: "EUR" });

    const { order } = await alice.checkout.placeOrder({});
    expect(order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    expect(order?.userId).toBe("alice");
    expect(order?.total).toMatchObject({ amountMinor: 13650n, currency: "EUR" });
    expect(order?.items.map((i) => i.lineTotal?.amountMinor).sort()).toEqual([4550n, 9100n]);
    expect(order?.expiresAt).toBeDefined();
    expect((await alice.checkout.getUserCart({})).cart?.items).toEqual([]);
    expect(await stockOf(standing)).toMatchObject({ total: 100, held: 2, sold: 0, available: 98, eventId });

    const { order: paid } = await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "psp-1" });
    expect(paid?.status).toBe(checkout.OrderStatus.PAID);
    expect(paid?.paymentReference).toBe("psp-1");
    const { bookings } = await t.admin.bookings.getBookings({ orderId: order!.id });
    expect(bookings.map((b) => b.status)).toEqual([booking.BookingStatus.CONFIRMED, booking.BookingStatus.CONFIRMED]);
    expect(await stockOf(standing)).toMatchObject({ held: 0, sold: 2, available: 98 });
    expect(await stockOf(seated)).toMatchObject({ held: 0, sold: 1, available: 99 });

    // Paying twice is a no-op, not a second sale.
    const again = await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "psp-1" });
    expect(again.order?.status).toBe(checkout.OrderStatus.PAID);
    expect(await stockOf(standing)).toMatchObject({ sold: 2 });
  });

  it("cancel releases the holds and restores the stock", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const bob = t.customer("bob");
    await bob.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 4 });
    const { order } = await bob.checkout.placeOrder({});
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ held: 4, available: 6 });

    const { order: cancelled } = await bob.checkout.cancelOrder({ orderId: order!.id, reason: "changed my mind" });
    expect(cancelled?.status).toBe(checkout.OrderStatus.CANCELLED);
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ total: 10, held: 0, sold: 0, available: 10 });
    const { bookings } = await t.admin.bookings.getBookings({ orderId: order!.id });
    expect(bookings.map((b) => b.status)).toEqual([booking.BookingStatus.RELEASED]);

    // Paying a cancelled order fails with FAILED_PRECONDITION and sells nothing.
    const err = toTicketingError(
      await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "late" }).catch((e: unknown) => e),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.details.stateConflict?.currentState).toBe("ORDER_STATUS_CANCELLED");
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ sold: 0, available: 10 });
  });

  it("sold out: the order fails with RESOURCE_EXHAUSTED naming the short ticket type, and the cart is kept", async () => {
    const { ticketIds } = await createEventWith(t.admin, 3);
    const carol = t.customer("carol");
    await carol.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 5 });
    const err = toTicketingError(await carol.checkout.placeOrder({}).catch((e: unknown) => e));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.details.insufficientStock?.shortages).toEqual([
      expect.objectContaining({ ticketId: ticketIds[0], requested: 5, available: 3 }),
    ]);
    expect((await carol.checkout.getUserCart({})).cart?.items.map((i) => i.quantity)).toEqual([5]);
    expect(await stockOf(ticketIds[0]!)).toMatchObject({ held: 0, available: 3 });
    const { orders } = await carol.checkout.listOrders({});
    expect(orders[0]?.status).toBe(checkout.OrderStatus.FAILED);
  });

  it("WatchOrder ends with DEADLINE_EXCEEDED when the caller's deadline passes before the order is final", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5);
    const ema = t.customer("ema-watch");
    await ema.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await ema.checkout.placeOrder({});
    // A raw HTTP/2 call that states a deadline but does not enforce it itself: what ends the stream is the server.
    const body = toBinary(checkout.WatchOrderRequestSchema, create(checkout.WatchOrderRequestSchema, { orderId: order!.id }));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
    const token = await t.platform.tokens.mint({ sub: "ema-watch", role: "customer" });
    const session = http2.connect(t.platform.url);
    try {
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/ticketing.checkout.v1.CheckoutService/WatchOrder",
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": "800m",
          authorization: `Bearer ${token}`,
        });
        stream.on("trailers", resolve);
        stream.on("error", reject);
        stream.resume();
        stream.end(frame);
      });
      expect(trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    } finally {
      session.close();
    }
  });

  it("WatchOrder streams the order's changes until it is final", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5);
    const dave = t.customer("dave");
    await dave.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await dave.checkout.placeOrder({});
    const seen: checkout.OrderStatus[] = [];
    const watching = (async () => {
      for await (const update of dave.checkout.watchOrder({ orderId: order!.id }, { timeoutMs: 20_000 })) {
        seen.push(update.order!.status);
      }
    })();
    await eventually(async () => (seen.length > 0 ? true : undefined), 5000, "first update");
    await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "psp-w" });
    await watching;
    expect(seen).toEqual([checkout.OrderStatus.PENDING_PAYMENT, checkout.OrderStatus.PAID]);
  });
});
