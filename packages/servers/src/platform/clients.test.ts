import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { booking, checkout, event, toTicketingError } from "@ticketing/sdk";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { accessRules, TokenAuthority, callerOf } from "./auth.js";
import { inProcessClient, serviceClient } from "./clients.js";
import { DomainError } from "./errors.js";
import { HealthState } from "./health.js";
import { authInterceptor, observabilityInterceptor } from "./interceptors.js";
import { startRpcServer } from "./server.js";

const tokens = new TokenAuthority("k".repeat(40));
const interceptors = [observabilityInterceptor(pino({ level: "silent" })), authInterceptor(tokens, accessRules([{ service: booking.BookingService, roles: { CreateBooking: ["service", "admin"] } }]))];
const theEvent = create(event.GetEventResponseSchema, { event: { id: "evt-1", name: "By Reference" } });

function setup(role: "service" | "customer" = "service", timeoutMs = 5000) {
  const received: { request?: unknown; caller?: string; timeLeft?: number | undefined; aborted: boolean[] } = { aborted: [] };
  const routes = (router: ConnectRouter) => {
    router.service(event.EventService, {
      async getEvent(req, ctx) {
        received.request = req;
        received.caller = callerOf(ctx).sub;
        received.timeLeft = ctx.timeoutMs();
        if (req.eventId === "slow") {
          await new Promise((r) => setTimeout(r, 1000));
          received.aborted.push(ctx.signal.aborted);
        }
        return theEvent;
      },
    });
    router.service(booking.BookingService, {
      createBooking() {
        throw new DomainError("ResourceExhausted", "sold out", { shortages: [{ ticketId: "tt-1", requested: 2, available: 0 }] });
      },
    });
    router.service(checkout.CheckoutService, {
      async *watchOrder(req) {
        yield { order: { id: req.orderId, status: checkout.OrderStatus.PAID } };
      },
    });
  };
  const client = inProcessClient(() => [routes], interceptors, () => tokens.mint({ sub: "checkout-service", role }), timeoutMs);
  return { client, received };
}

describe("inProcessClient", () => {
  it("hands messages over by reference, through the server interceptors", async () => {
    const { client, received } = setup();
    const request = create(event.GetEventRequestSchema, { eventId: "evt-1" });
    const response = await client.events.getEvent(request);
    expect(received.request).toBe(request);
    expect(response).toBe(theEvent);
    expect(received.caller).toBe("checkout-service");
    expect(received.timeLeft).toBeGreaterThan(4000);
    expect(received.timeLeft).toBeLessThanOrEqual(5000);
  });

  it("refuses like the server does: auth, and typed error details", async () => {
    const { client } = setup("customer");
    const denied = toTicketingError(await client.bookings.createBooking({ orderId: "o" }).catch((e: unknown) => e));
    expect(denied.codeName).toBe("PERMISSION_DENIED");

    const service = setup("service").client;
    const sold = toTicketingError(await service.bookings.createBooking({ orderId: "o" }).catch((e: unknown) => e));
    expect(sold.codeName).toBe("RESOURCE_EXHAUSTED");
    expect(sold.details.insufficientStock?.shortages).toEqual([expect.objectContaining({ ticketId: "tt-1", requested: 2, available: 0 })]);
  });

  it("gives DEADLINE_EXCEEDED when the handler outlives the deadline, and aborts its signal", async () => {
    const { client, received } = setup("service", 100);
    const started = performance.now();
    // GetEvent is NO_SIDE_EFFECTS: the SDK tries it 4 times, each attempt with its own 100 ms deadline.
    const err = toTicketingError(await client.events.getEvent({ eventId: "slow" }).catch((e: unknown) => e));
    expect(err.codeName).toBe("DEADLINE_EXCEEDED");
    // Four deadlines and the backoff between them (at most 700 ms), far less than four 1 s handlers.
    expect(performance.now() - started).toBeLessThan(2000);
    await expect.poll(() => received.aborted, { timeout: 3000 }).toEqual([true, true, true, true]);
  });

  it("stops when the caller aborts", async () => {
    const { client } = setup();
    const controller = new AbortController();
    const call = client.events.getEvent({ eventId: "slow" }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(toTicketingError(await call.catch((e: unknown) => e)).codeName).toBe("CANCELED");
  });

  it("streams through connect's router, and a method nobody registered is UNIMPLEMENTED", async () => {
    const { client } = setup();
    const seen: string[] = [];
    for await (const update of client.checkout.watchOrder({ orderId: "o-1" })) seen.push(update.order?.id ?? "");
    expect(seen).toEqual(["o-1"]);
    const err = toTicketingError(await client.notifications.listNotifications({}).catch((e: unknown) => e));
    expect(err.codeName).toBe("UNIMPLEMENTED");
  });
});

describe("serviceClient", () => {
  it("spreads calls over the replicas in turn, one client per URL", async () => {
    const logger = pino({ level: "silent" });
    const replicas = await Promise.all(
      ["replica-a", "replica-b"].map((name) =>
        startRpcServer("127.0.0.1", 0, {
          routes: (router) => router.service(event.EventService, { getEvent: () => ({ event: { id: name } }) }),
          interceptors,
          health: new HealthState([]),
          logger,
        }),
      ),
    );
    try {
      const client = serviceClient(() => replicas.map((r) => r.url), () => tokens.mint({ sub: "checkout", role: "service" }), 5000);
      const answeredBy: string[] = [];
      for (let i = 0; i < 4; i++) answeredBy.push((await client.events.getEvent({})).event?.id ?? "");
      expect(answeredBy).toEqual(["replica-a", "replica-b", "replica-a", "replica-b"]);

      const single = serviceClient(() => replicas[0]?.url ?? "", () => tokens.mint({ sub: "checkout", role: "service" }), 5000);
      expect((await single.events.getEvent({})).event?.id).toBe("replica-a");
    } finally {
      await Promise.all(replicas.map((r) => r.close(100)));
    }
  });

  it("passes over a replica whose connection failed, and calls it again once it is back", async () => {
    const logger = pino({ level: "silent" });
    const serve = (name: string, port = 0) =>
      startRpcServer("127.0.0.1", port, {
        routes: (router) => router.service(event.EventService, { getEvent: () => ({ event: { id: name } }) }),
        interceptors,
        health: new HealthState([]),
        logger,
      });
    const alive = await serve("alive");
    let dying = await serve("dying");
    const deadPort = dying.port;
    try {
      const urls = [alive.url, dying.url];
      const client = serviceClient(() => urls, () => tokens.mint({ sub: "checkout", role: "service" }), 5000);
      expect((await client.events.getEvent({})).event?.id).toBe("alive");
      expect((await client.events.getEvent({})).event?.id).toBe("dying");
      await dying.close(0);
      // The first call that reaches the dead replica fails (connection refused); the ones after it go elsewhere.
      const results: (string | undefined)[] = [];
      for (let i = 0; i < 8; i++) {
        results.push(
          await client.events.getEvent({}).then(
            (r) => r.event?.id,
            (err: unknown) => toTicketingError(err).codeName,
          ),
        );
      }
      const failed = results.indexOf("UNAVAILABLE");
      expect(failed).toBeGreaterThanOrEqual(0);
      expect(failed).toBeLessThanOrEqual(1);
      expect(results.filter((_, i) => i !== failed)).toEqual(Array(7).fill("alive"));
      // Back on the same port: after the pause it is called again.
      dying = await serve("back", deadPort);
      await new Promise((r) => setTimeout(r, 3_100));
      const after = new Set<string | undefined>();
      for (let i = 0; i < 4; i++) after.add((await client.events.getEvent({})).event?.id);
      expect(after).toEqual(new Set(["alive", "back"]));
    } finally {
      await Promise.all([alive.close(100), dying.close(100)]);
    }
  });
});
