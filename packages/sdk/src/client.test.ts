import { createRouterTransport } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { OrderStatus } from "./gen/ticketing/checkout/v1/checkout_pb.js";
import { Code, createTicketingClient, toTicketingError, type TicketingClient } from "./index.js";
import { createFakePlatform, type FakePlatform } from "./testing/fake-platform.js";

function clientFor(fake: FakePlatform, token?: string, maxAttempts = 4): TicketingClient {
  return createTicketingClient({
    ...(token === undefined ? {} : { token }),
    retry: { maxAttempts, initialDelayMs: 1, maxDelayMs: 2 },
    transport: ({ interceptors }) => createRouterTransport(fake.routes, { transport: { interceptors } }),
  });
}

describe("createTicketingClient over an in-memory router", () => {
  let fake: FakePlatform;
  beforeEach(() => {
    fake = createFakePlatform();
  });

  it("sends the bearer token on every call", async () => {
    const client = clientFor(fake, "tok-123");
    await client.events.listEvents({});
    await client.checkout.placeOrder({});
    expect(fake.calls.map((c) => c.authorization)).toEqual(["Bearer tok-123", "Bearer tok-123"]);
  });

  it("asks a token function before each call", async () => {
    let n = 0;
    const client = createTicketingClient({
      token: async () => `rotating-${++n}`,
      transport: ({ interceptors }) => createRouterTransport(fake.routes, { transport: { interceptors } }),
    });
    await client.events.listEvents({});
    await client.events.listEvents({});
    expect(fake.calls.map((c) => c.authorization)).toEqual(["Bearer rotating-1", "Bearer rotating-2"]);
  });

  it("sends no authorization header without a token, and the server's UNAUTHENTICATED comes through", async () => {
    const client = clientFor(fake);
    const err = await client.checkout.placeOrder({}).catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.Unauthenticated);
    expect(fake.calls[0]?.authorization).toBeNull();
  });

  it("keeps one idempotency key across the retries of one call", async () => {
    const client = clientFor(fake, "t");
    fake.failNext("PlaceOrder", 2);
    const { order } = await client.checkout.placeOrder({});
    expect(order?.status).toBe(OrderStatus.PENDING_PAYMENT);
    const keys = fake.calls.filter((c) => c.method === "PlaceOrder").map((c) => c.idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it("uses a new idempotency key for every separate call", async () => {
    const client = clientFor(fake, "t");
    await client.checkout.placeOrder({});
    await client.checkout.placeOrder({});
    const [a, b] = fake.calls.map((c) => c.idempotencyKey);
    expect(a).toBeTruthy();
    expect(b).toBeTruthy();
    expect(a).not.toBe(b);
  });

  it("keeps a key the caller chose", async () => {
    const client = clientFor(fake, "t");
    fake.failNext("PlaceOrder", 1);
    await client.checkout.placeOrder({ idempotencyKey: "my-key" });
    expect(fake.calls.map((c) => c.idempotencyKey)).toEqual(["my-key", "my-key"]);
  });

  it("retries UNAVAILABLE on reads too, and gives up after maxAttempts", async () => {
    const client = clientFor(fake, "t", 3);
    fake.failNext("ListEvents", 5);
    const err = await client.events.listEvents({}).catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.Unavailable);
    expect(fake.calls.filter((c) => c.method === "ListEvents")).toHaveLength(3);
  });

  it("does not retry errors other than UNAVAILABLE", async () => {
    const client = clientFor(fake, "t");
    const err = await client.checkout.markOrderAsPaid({ orderId: "o" }).catch((e: unknown) => e);
    expect(toTicketingError(err).codeName).toBe("FAILED_PRECONDITION");
    expect(fake.calls).toHaveLength(1);
  });

  it("keeps the code and the typed details of errors", async () => {
    const client = clientFor(fake, "t");
    const sold = toTicketingError(await client.checkout.addToCart({ ticketId: "tt-1", quantity: 30 }).catch((e) => e));
    expect(sold.code).toBe(Code.ResourceExhausted);
    expect(sold.message).toBe("not enough tickets");
    expect(sold.details.insufficientStock?.shortages).toEqual([
      expect.objectContaining({ ticketId: "tt-1", requested: 30, available: 10 }),
    ]);

    const invalid = toTicketingError(
      await client.events
        .createEvent({ name: "x", ticketTypes: [{ name: "GA", capacity: 0 }] })
        .catch((e: unknown) => e),
    );
    expect(invalid.codeName).toBe("INVALID_ARGUMENT");
    expect(invalid.details.badRequest?.fieldViolations[0]).toEqual(
      expect.objectContaining({ field: "ticket_types[0].capacity", description: "must be greater than 0" }),
    );
  });

  it("streams WatchOrder until the order is final", async () => {
    const client = clientFor(fake, "t");
    const { order } = await client.checkout.placeOrder({});
    const seen: OrderStatus[] = [];
    for await (const update of client.checkout.watchOrder({ orderId: order?.id ?? "" })) {
      seen.push(update.order?.status ?? OrderStatus.UNSPECIFIED);
    }
    expect(seen).toEqual([OrderStatus.PENDING_PAYMENT, OrderStatus.PAID]);
  });

  it("reports NOT_FOUND from a stream", async () => {
    const client = clientFor(fake, "t");
    const stream = client.checkout.watchOrder({ orderId: "nope" });
    const err = await (async () => {
      for await (const _ of stream) {
        /* drain */
      }
    })().catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.NotFound);
  });

  it("requires a baseUrl unless a transport is given", () => {
    expect(() => createTicketingClient({})).toThrow(/baseUrl is required/);
  });
});
