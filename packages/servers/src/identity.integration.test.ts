import { createClient } from "@connectrpc/connect";
import { checkout, toTicketingError } from "@ticketing/sdk";
import { health, reflection } from "@ticketing/sdk/grpc";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthority } from "./platform/auth.js";
import { createEventWith, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// The caller comes from the bearer token and nothing else (seed: user_id was trusted from the request).

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => {
  await t?.close();
});

const codeOf = async (call: Promise<unknown>) =>
  call.then(
    () => "OK",
    (e: unknown) => toTicketingError(e).codeName,
  );

describe("authentication", () => {
  it("no token, a garbage token, a foreign token and an expired token are all UNAUTHENTICATED", async () => {
    const foreign = await new TokenAuthority("x".repeat(40)).mint({ sub: "admin", role: "admin" });
    const expired = await t.platform.tokens.mint({ sub: "admin", role: "admin" }, -10);
    for (const token of [undefined, "garbage", foreign, expired]) {
      const client = t.clientWithToken(token);
      expect(await codeOf(client.events.listEvents({})), String(token).slice(0, 12)).toBe("UNAUTHENTICATED");
      expect(await codeOf(client.checkout.getUserCart({}))).toBe("UNAUTHENTICATED");
    }
  });
});

describe("roles", () => {
  it("a customer calling admin or service RPCs is PERMISSION_DENIED and changes nothing", async () => {
    const { eventId, ticketIds } = await createEventWith(t.admin, 5);
    const ticketId = ticketIds[0]!;
    const mallory = t.customer("mallory");
    await mallory.checkout.addToCart({ ticketId, quantity: 1 });
    const { order } = await mallory.checkout.placeOrder({});
    const calls: [string, () => Promise<unknown>][] = [
      ["CreateEvent", () => mallory.events.createEvent({ name: "x", startsAt: { seconds: 2n }, endsAt: { seconds: 3n }, ticketTypes: [{ name: "a", price: { amountMinor: 1n, currency: "EUR" }, capacity: 1 }] })],
      ["CreateStock", () => mallory.bookings.createStock({ ticketId: randomUUID(), eventId, total: 1000 })],
      ["DeleteStock", () => mallory.bookings.deleteStock({ ticketId })],
      ["ExpireBookings", () => mallory.bookings.expireBookings({ allDue: true })],
      ["DeleteOrderBookings", () => mallory.bookings.deleteOrderBookings({ orderId: order!.id })],
      ["MarkOrderAsPaid", () => mallory.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "free tickets" })],
      ["CreateBooking", () => mallory.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId, quantity: 4 }] })],
      ["GetBookings", () => mallory.bookings.getBookings({})],
      ["ConfirmBookings", () => mallory.bookings.confirmBookings({ orderId: order!.id })],
    ];
    for (const [name, call] of calls) expect(await codeOf(call()), name).toBe("PERMISSION_DENIED");
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ total: 5, held: 1, sold: 0 });
    expect((await mallory.checkout.getOrder({ orderId: order!.id })).order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    // Customers may read availability.
    expect(await codeOf(mallory.bookings.getStock({ ticketId }))).toBe("OK");
  });
});

describe("ownership", () => {
  it("customer B can neither read nor change customer A's cart and orders", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const a = t.customer("owner-a");
    const b = t.customer("other-b");
    await a.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order } = await a.checkout.placeOrder({});
    await a.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });

    expect(await codeOf(b.checkout.getOrder({ orderId: order!.id }))).toBe("NOT_FOUND");
    expect(await codeOf(b.checkout.cancelOrder({ orderId: order!.id }))).toBe("NOT_FOUND");
    const watching = (async () => {
      for await (const _ of b.checkout.watchOrder({ orderId: order!.id })) {
        /* must not yield */
      }
    })();
    expect(await codeOf(watching)).toBe("NOT_FOUND");
    expect((await b.checkout.listOrders({})).orders.map((o) => o.id)).not.toContain(order!.id);

    expect((await b.checkout.getUserCart({})).cart?.items).toEqual([]);
    await b.checkout.updateCart({ ticketId: ticketIds[0]!, quantity: 0 });
    expect((await a.checkout.getUserCart({})).cart?.items.map((i) => i.quantity)).toEqual([1]);
    expect((await a.checkout.getOrder({ orderId: order!.id })).order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    // The owner's identity is the token's subject, whatever else the request says.
    expect((await a.checkout.getOrder({ orderId: order!.id })).order?.userId).toBe("owner-a");
    // An admin reads any order.
    expect((await t.admin.checkout.getOrder({ orderId: order!.id })).order?.userId).toBe("owner-a");
  });
});

describe("open endpoints", () => {
  it("health and reflection need no token; /healthz and /readyz answer plain HTTP", async () => {
    const anonymous = t.clientWithToken(undefined);
    const probe = createClient(health.Health, anonymous.transport);
    expect((await probe.check({})).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect((await probe.check({ service: "ticketing.checkout.v1.CheckoutService" })).status).toBe(
      health.HealthCheckResponse_ServingStatus.SERVING,
    );
    expect(await codeOf(probe.check({ service: "nope.Service" }))).toBe("NOT_FOUND");

    const reflect = createClient(reflection.ServerReflection, anonymous.transport);
    async function* ask() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "ticketing.checkout.v1.CheckoutService" } };
    }
    const answers = [];
    for await (const answer of reflect.serverReflectionInfo(ask())) answers.push(answer);
    const listed = answers[0]?.messageResponse;
    expect(listed?.case).toBe("listServicesResponse");
    const names = listed?.case === "listServicesResponse" ? listed.value.service.map((s) => s.name) : [];
    expect(names).toEqual(expect.arrayContaining([
      "ticketing.event.v1.EventService",
      "ticketing.booking.v1.BookingService",
      "ticketing.checkout.v1.CheckoutService",
      "ticketing.notification.v1.NotificationService",
      "grpc.health.v1.Health",
    ]));
    const files = answers[1]?.messageResponse;
    expect(files?.case).toBe("fileDescriptorResponse");
    expect(files?.case === "fileDescriptorResponse" ? files.value.fileDescriptorProto.length : 0).toBeGreaterThan(1);

    for (const path of ["/healthz", "/readyz"]) {
      const res = await fetch(`${t.platform.url}${path}`);
      expect(res.status, path).toBe(200);
    }
  });
});
