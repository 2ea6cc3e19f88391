import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient, createRouterTransport, type ConnectRouter, type HandlerContext, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderStatus, CheckoutService } from "./gen/ticketing/checkout/v1/checkout_pb.js";
import { EventService } from "./gen/ticketing/event/v1/event_pb.js";
import { health } from "./grpc.js";
import { Code, createTicketingClient, toTicketingError, type Protocol, type TicketingClient, type TicketingClientOptions } from "./index.js";
import { serveRouter, type ServedRouter } from "./testing/serve.js";
import { createTicketingClient as createWebClient } from "./web.js";

/** A server whose first attempt at anything takes `slowMs`, ignoring its deadline; later attempts answer at once. */
function slowFirst(slowMs: number) {
  const calls: { method: string; key: string }[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const attempt = async (method: string, key: string, ctx: HandlerContext) => {
    calls.push({ method, key });
    const n = calls.filter((c) => c.method === method).length;
    if (n === 1 || ctx.requestHeader.get("x-always-slow")) await sleep(slowMs);
    return n;
  };
  const routes = (router: ConnectRouter) => {
    router.service(CheckoutService, {
      async placeOrder(req, ctx) {
        const n = await attempt("PlaceOrder", req.idempotencyKey, ctx);
        return { order: { id: `answer-${n}`, status: OrderStatus.PENDING_PAYMENT } };
      },
    });
    router.service(EventService, {
      async getEvent(req, ctx) {
        const n = await attempt("GetEvent", req.eventId, ctx);
        return { event: { id: `answer-${n}` } };
      },
    });
    router.service(health.Health, {
      async check(_req, ctx) {
        await attempt("Check", "", ctx);
        return { status: health.HealthCheckResponse_ServingStatus.SERVING };
      },
    });
  };
  return { calls, routes };
}

const fast = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 };

describe("retries with a deadline per attempt", () => {
  let served: ServedRouter;
  let server: ReturnType<typeof slowFirst>;
  beforeAll(async () => {
    server = slowFirst(400);
    served = await serveRouter(server.routes);
  });
  afterAll(async () => {
    await served.close();
  });

  const entries: [string, (o: TicketingClientOptions) => TicketingClient, () => string, Protocol][] = [
    ["the Node entry over gRPC", createTicketingClient, () => served.h2Url, "grpc"],
    ["the Node entry over Connect", createTicketingClient, () => served.h1Url, "connect"],
    ["the browser entry over Connect", createWebClient, () => served.h1Url, "connect"],
  ];
  it.each(entries)("%s: a first attempt that outlives its deadline is tried again with the same idempotency key", async (_name, create, url, protocol) => {
    server.calls.length = 0;
    const client = create({ baseUrl: url(), protocol, token: "t", timeoutMs: 150, retry: fast });
    const { order } = await client.checkout.placeOrder({});
    const keys = server.calls.filter((c) => c.method === "PlaceOrder").map((c) => c.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(order?.id).toBe("answer-2");
  });
});

describe("retries over a custom transport", () => {
  const clientOver = (routes: (router: ConnectRouter) => void, options: Partial<TicketingClientOptions> = {}) =>
    createTicketingClient({
      token: "t",
      timeoutMs: 100,
      retry: fast,
      transport: ({ interceptors, timeoutMs }) => createRouterTransport(routes, { transport: { interceptors, defaultTimeoutMs: timeoutMs } }),
      ...options,
    });

  it("retries a read that ran out of time and returns the second answer", async () => {
    const server = slowFirst(300);
    const { event } = await clientOver(server.routes).events.getEvent({ eventId: "e-1" });
    expect(event?.id).toBe("answer-2");
    expect(server.calls.map((c) => c.key)).toEqual(["e-1", "e-1"]);
  });

  it("does not retry a method without an idempotency level", async () => {
    const server = slowFirst(300);
    const client = clientOver(server.routes);
    const err = await createClient(health.Health, client.transport).check({}).catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.DeadlineExceeded);
    expect(server.calls).toHaveLength(1);
  });

  it("stops everything when the caller's own signal aborts", async () => {
    const server = slowFirst(300);
    const client = clientOver(server.routes, { timeoutMs: 50, retry: { maxAttempts: 10, initialDelayMs: 1, maxDelayMs: 2 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 130);
    const err = await client.events
      .getEvent({ eventId: "e-1" }, { signal: controller.signal, headers: { "x-always-slow": "1" } })
      .catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.Canceled);
    const made = server.calls.length;
    expect(made).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 150));
    expect(server.calls).toHaveLength(made);
  });

  it("gives up after maxAttempts deadlines", async () => {
    const server = slowFirst(200);
    const err = await clientOver(server.routes)
      .events.getEvent({ eventId: "e-1" }, { headers: { "x-always-slow": "1" } })
      .catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.DeadlineExceeded);
    expect(server.calls).toHaveLength(3);
  });
});

describe("a connection lost under the call", () => {
  const reset = () =>
    new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
  /** A transport whose first `failures` unary calls die with a connection reset, then answer. */
  const flaky = (failures: number) => {
    const keys: string[] = [];
    const transport = (): Transport => ({
      async unary(method, _signal, _timeoutMs, _header, input) {
        keys.push((input as { idempotencyKey?: string }).idempotencyKey ?? "");
        if (keys.length <= failures) throw reset();
        return { stream: false, service: method.parent, method, header: new Headers(), trailer: new Headers(), message: create(method.output, { order: { id: "placed" } } as never) } as never;
      },
      stream: () => Promise.reject(new Error("unused")),
    });
    return { keys, transport };
  };

  it("is retried with the same idempotency key, and the caller gets the answer", async () => {
    const server = flaky(2);
    const client = createTicketingClient({ retry: fast, transport: server.transport });
    const { order } = await client.checkout.placeOrder({});
    expect(order?.id).toBe("placed");
    expect(server.keys).toHaveLength(3);
    expect(new Set(server.keys).size).toBe(1);
  });

  it("reaches the caller as UNAVAILABLE once the attempts are spent, never ABORTED", async () => {
    const server = flaky(10);
    const err = await createTicketingClient({ retry: fast, transport: server.transport }).checkout.placeOrder({}).catch((e: unknown) => e);
    expect(toTicketingError(err).code).toBe(Code.Unavailable);
    expect(server.keys).toHaveLength(3);
  });
});
