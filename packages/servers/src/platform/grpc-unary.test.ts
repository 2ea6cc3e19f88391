// The gRPC fast path answers exactly like connect's handler: every case runs over the same port twice, once on the
// fast path (plain gRPC) and once on connect's path (the same call with gzip request compression, which the fast
// path declines), and both answers must agree.
import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { compressionGzip, createGrpcTransport } from "@connectrpc/connect-node";
import { booking, checkout, createTicketingClient, event, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessRules, TokenAuthority } from "./auth.js";
import { DomainError, invalid, stateConflict } from "./errors.js";
import { HealthState } from "./health.js";
import { authInterceptor, observabilityInterceptor } from "./interceptors.js";
import { startRpcServer, type RpcServer } from "./server.js";
import { UnaryContext } from "./unary.js";

const tokens = new TokenAuthority("t".repeat(40));
const logger = pino({ level: "silent" });
const MAX_REQUEST_BYTES = 64 * 1024;

const theEvent = create(event.EventSchema, { id: "evt-1", name: "Fidelity Live", ticketTypes: [{ id: "tt-1", name: "GA", capacity: 5 }] });

/** What the last calls' handlers saw. */
const seen: { path: "fast" | "connect"; eventId: string; signalAborted?: boolean }[] = [];
const pathOf = (ctx: HandlerContext) => (ctx instanceof UnaryContext ? "fast" : "connect");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RpcServer;
let adminToken: string;

beforeAll(async () => {
  adminToken = await tokens.mint({ sub: "admin", role: "admin" });
  const health = new HealthState([event.EventService.typeName]);
  health.setServing(true);
  server = await startRpcServer("127.0.0.1", 0, {
    interceptors: [observabilityInterceptor(logger), authInterceptor(tokens, accessRules([{ service: booking.BookingService, roles: { CreateBooking: ["service", "admin"] } }]))],
    health,
    logger,
    maxRequestBytes: MAX_REQUEST_BYTES,
    routes: (router) => {
      router.service(event.EventService, {
        async getEvent(req, ctx) {
          const call: (typeof seen)[number] = { path: pathOf(ctx), eventId: req.eventId };
          seen.push(call);
          ctx.responseHeader.set("x-served-by", "stub");
          switch (req.eventId) {
            case "invalid":
              throw invalid([{ field: "event_id", description: "must be a UUID" }]);
            case "conflict":
              throw stateConflict("event is cancelled", "CANCELLED", "read");
            case "boom":
              throw new Error("kaboom");
            case "slow": {
              const signal = ctx.signal;
              await Promise.race([sleep(1500), new Promise((r) => signal.addEventListener("abort", r))]);
              call.signalAborted = signal.aborted;
              return { event: theEvent };
            }
            case "bad-header":
              // HTTP/2 forbids connection-specific headers: Node refuses to send this answer.
              ctx.responseHeader.set("connection", "close");
              return { event: theEvent };
            case "wait-for-cancel":
              await new Promise((r) => ctx.signal.addEventListener("abort", r));
              call.signalAborted = ctx.signal.aborted;
              return { event: theEvent };
          }
          ctx.responseTrailer.set("x-trailer", "done");
          return { event: theEvent };
        },
      });
      router.service(booking.BookingService, {
        createBooking(req) {
          throw new DomainError("ResourceExhausted", "not enough tickets", {
            shortages: req.items.map((i) => ({ ticketId: i.ticketId, requested: i.quantity, available: 1 })),
          });
        },
      });
      router.service(checkout.CheckoutService, {
        async *watchOrder(req) {
          yield { order: { id: req.orderId, status: checkout.OrderStatus.PENDING_PAYMENT } };
          yield { order: { id: req.orderId, status: checkout.OrderStatus.PAID } };
        },
      });
    },
  });
});
afterAll(async () => {
  await server?.close(100);
});

/** The same client twice: plain gRPC (the fast path) and gRPC with gzip-compressed requests (connect's path). */
const clients = (token: string | null = adminToken): [string, TicketingClient][] => {
  const auth = token === null ? {} : { token };
  return [
    ["fast", createTicketingClient({ baseUrl: server.url, protocol: "grpc", retry: false, ...auth })],
    [
      "connect",
      createTicketingClient({
        retry: false,
        ...auth,
        transport: ({ interceptors, timeoutMs }) =>
          createGrpcTransport({
            baseUrl: server.url,
            interceptors,
            defaultTimeoutMs: timeoutMs,
            sendCompression: compressionGzip,
            compressMinBytes: 0,
          }),
      }),
    ],
  ];
};

/** Runs the call on both paths; returns both outcomes (error or response) after checking each path was taken. */
async function both<T>(call: (client: TicketingClient) => Promise<T>, token: string | null = adminToken) {
  const out: Record<string, { value?: T; error?: ReturnType<typeof toTicketingError> }> = {};
  for (const [name, client] of clients(token)) {
    const before = seen.length;
    out[name] = await call(client).then(
      (value) => ({ value }),
      (err: unknown) => ({ error: toTicketingError(err) }),
    );
    for (const s of seen.slice(before)) expect(s.path, `${name} path`).toBe(name);
  }
  return out as Record<"fast" | "connect", { value?: T; error?: ReturnType<typeof toTicketingError> }>;
}

const comparable = (e: ReturnType<typeof toTicketingError> | undefined) =>
  e && { code: e.codeName, message: e.message.replace(/request [0-9a-f-]{36}/, "request <id>"), details: e.details };

describe("the gRPC fast path answers like connect", () => {
  it("a success, with the headers and trailers the handler and interceptors set", async () => {
    const headers: Record<string, Headers> = {};
    const trailers: Record<string, Headers> = {};
    for (const [name, client] of clients()) {
      const res = await client.events.getEvent(
        { eventId: "ok" },
        { onHeader: (h) => (headers[name] = h), onTrailer: (t) => (trailers[name] = t) },
      );
      expect(res.event?.name).toBe("Fidelity Live");
      expect(seen.at(-1)?.path).toBe(name);
    }
    for (const name of ["fast", "connect"]) {
      expect(headers[name]?.get("x-served-by")).toBe("stub");
      expect(headers[name]?.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(trailers[name]?.get("x-trailer")).toBe("done");
    }
  });

  it("keeps the caller's x-request-id", async () => {
    for (const [, client] of clients()) {
      let id: string | null = null;
      await client.events.getEvent({ eventId: "ok" }, { headers: { "x-request-id": "req-42" }, onHeader: (h) => (id = h.get("x-request-id")) });
      expect(id).toBe("req-42");
    }
  });

  it.each([
    ["a BadRequest", "invalid", "INVALID_ARGUMENT"],
    ["a StateConflict", "conflict", "FAILED_PRECONDITION"],
    ["an unexpected error as INTERNAL", "boom", "INTERNAL"],
  ])("%s: same code, message and typed details", async (_what, eventId, codeName) => {
    const { fast, connect } = await both((c) => c.events.getEvent({ eventId }));
    expect(fast.error?.codeName).toBe(codeName);
    expect(comparable(fast.error)).toEqual(comparable(connect.error));
  });

  it("InsufficientStock details from booking", async () => {
    const { fast, connect } = await both((c) => c.bookings.createBooking({ orderId: "o-1", items: [{ ticketId: "tt-1", quantity: 3 }] }));
    expect(fast.error?.details.insufficientStock?.shortages).toEqual([expect.objectContaining({ ticketId: "tt-1", requested: 3, available: 1 })]);
    expect(comparable(fast.error)).toEqual(comparable(connect.error));
  });

  it("the request id travels with errors too", async () => {
    for (const [, client] of clients()) {
      const err = await client.events.getEvent({ eventId: "invalid" }, { headers: { "x-request-id": "req-err" } }).catch((e: unknown) => e);
      const metadata = toTicketingError(err).cause.metadata;
      expect(metadata.get("x-request-id")).toBe("req-err");
    }
  });

  it("UNAUTHENTICATED without a token, PERMISSION_DENIED with the wrong role", async () => {
    const anonymous = await both((c) => c.events.getEvent({ eventId: "ok" }), null);
    expect(anonymous.fast.error?.codeName).toBe("UNAUTHENTICATED");
    expect(comparable(anonymous.fast.error)).toEqual(comparable(anonymous.connect.error));

    const customer = await tokens.mint({ sub: "c", role: "customer" });
    const denied = await both((c) => c.bookings.createBooking({ orderId: "o-1", items: [] }), customer);
    expect(denied.fast.error?.codeName).toBe("PERMISSION_DENIED");
    expect(comparable(denied.fast.error)).toEqual(comparable(denied.connect.error));
  });

  it("a method nobody registered is UNIMPLEMENTED on both", async () => {
    const { fast, connect } = await both((c) => c.notifications.listNotifications({}));
    expect(fast.error?.codeName).toBe("UNIMPLEMENTED");
    expect(connect.error?.codeName).toBe("UNIMPLEMENTED");
  });

  it("a message over maxRequestBytes is RESOURCE_EXHAUSTED on both", async () => {
    const { fast, connect } = await both((c) => c.events.getEvent({ eventId: "x".repeat(MAX_REQUEST_BYTES + 1) }));
    expect(fast.error?.codeName).toBe("RESOURCE_EXHAUSTED");
    expect(connect.error?.codeName).toBe("RESOURCE_EXHAUSTED");
  });

  it("a handler slower than the caller's deadline: DEADLINE_EXCEEDED, and its signal was aborted", async () => {
    for (const [name, client] of clients()) {
      const before = seen.length;
      const started = performance.now();
      const err = await client.events.getEvent({ eventId: "slow" }, { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(toTicketingError(err).codeName, name).toBe("DEADLINE_EXCEEDED");
      expect(performance.now() - started).toBeLessThan(1000);
      // This call's own entry: under load the handler may start after the caller has given up.
      const call = () => seen.slice(before).find((s) => s.eventId === "slow");
      await expect.poll(() => call()?.signalAborted, { timeout: 2000 }).toBe(true);
      expect(call()?.path).toBe(name);
    }
  });

  it("an answer HTTP/2 cannot carry fails that call only", async () => {
    const [, fastClient] = clients()[0] as [string, TicketingClient];
    const err = await fastClient.events.getEvent({ eventId: "bad-header" }).catch((e: unknown) => e);
    expect(toTicketingError(err).code).not.toBe(0);
    expect((await fastClient.events.getEvent({ eventId: "ok" })).event?.id).toBe("evt-1");
  });

  it("server-streaming methods, Connect and gRPC-web over HTTP/1.1, and the probes still work on the same port", async () => {
    const [, fast] = clients()[0] as [string, TicketingClient];
    const statuses: checkout.OrderStatus[] = [];
    for await (const update of fast.checkout.watchOrder({ orderId: "o-9" })) statuses.push(update.order?.status ?? 0);
    expect(statuses).toEqual([checkout.OrderStatus.PENDING_PAYMENT, checkout.OrderStatus.PAID]);
    for (const protocol of ["connect", "grpc-web"] as const) {
      const client = createTicketingClient({ baseUrl: server.url, protocol, token: adminToken });
      expect((await client.events.getEvent({ eventId: "ok" })).event?.id).toBe("evt-1");
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("the gRPC fast path on the wire", () => {
  const getEvent = `/${event.EventService.typeName}/GetEvent`;
  const envelope = (flags: number, payload: Uint8Array) => {
    const b = Buffer.alloc(5 + payload.length);
    b[0] = flags;
    b.writeUInt32BE(payload.length, 1);
    b.set(payload, 5);
    return b;
  };

  interface Answer {
    headers: http2.IncomingHttpHeaders;
    trailers: http2.IncomingHttpHeaders;
    ms: number;
  }
  /** One raw HTTP/2 request; `send` writes the body (and may keep the stream open). */
  function raw(headers: http2.OutgoingHttpHeaders, send: (req: http2.ClientHttp2Stream) => void): Promise<Answer> {
    const session = http2.connect(server.url);
    const started = performance.now();
    return new Promise<Answer>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": getEvent, "content-type": "application/grpc", te: "trailers", ...headers });
      const answer: Answer = { headers: {}, trailers: {}, ms: 0 };
      req.on("response", (h) => {
        answer.headers = h;
        answer.ms = performance.now() - started;
        // A trailers-only answer is complete; the stream may stay open while the server drops the rest of a body.
        if (h["grpc-status"] !== undefined) resolve(answer);
      });
      req.on("trailers", (t) => (answer.trailers = t));
      req.on("error", () => {});
      req.on("close", () => resolve(answer));
      req.resume();
      session.on("error", reject);
      send(req);
    }).finally(() => session.close());
  }
  const statusOf = (a: Answer) => Number(a.trailers["grpc-status"] ?? a.headers["grpc-status"]);
  const auth = () => ({ authorization: `Bearer ${adminToken}` });

  it("mirrors the request's content type", async () => {
    for (const contentType of ["application/grpc", "application/grpc+proto"]) {
      const a = await raw({ ...auth(), "content-type": contentType }, (req) => req.end(envelope(0, new Uint8Array())));
      expect(a.headers["content-type"]).toBe(contentType);
      expect(statusOf(a)).toBe(0);
    }
  });

  it("an unknown method of a known service, or of an unknown one, gets connect's answer (HTTP 404)", async () => {
    for (const path of [`/${event.EventService.typeName}/Nope`, "/no.such.v1.Service/Call"]) {
      const fast = await raw({ ...auth(), ":path": path }, (req) => req.end(envelope(0, new Uint8Array())));
      const connect = await raw({ ...auth(), ":path": path, "grpc-encoding": "gzip" }, (req) => req.end(envelope(0, new Uint8Array())));
      expect(fast.headers[":status"], path).toBe(404);
      expect(connect.headers[":status"], path).toBe(404);
    }
  });

  it("an undecodable message gets connect's code", async () => {
    const junk = Buffer.from([0x0a, 0xff, 0xff]);
    const fast = await raw(auth(), (req) => req.end(envelope(0, junk)));
    const connect = await raw({ ...auth(), "grpc-encoding": "gzip" }, (req) => req.end(envelope(1, gzipSync(junk))));
    expect(statusOf(fast)).toBe(statusOf(connect));
    expect(decodeURIComponent(String(fast.headers["grpc-message"]))).toBe(decodeURIComponent(String(connect.trailers["grpc-message"])));
  });

  it("no message, a cut envelope and a second message are refused like connect refuses them", async () => {
    const bodies = [Buffer.alloc(0), Buffer.from([0, 0, 0]), Buffer.concat([envelope(0, new Uint8Array()), envelope(0, new Uint8Array())])];
    for (const body of bodies) {
      const fast = await raw(auth(), (req) => req.end(body));
      const connect = await raw({ ...auth(), "grpc-encoding": "gzip" }, (req) => req.end(body));
      expect(statusOf(fast), body.toString("hex")).toBe(statusOf(connect));
      expect(statusOf(fast)).not.toBe(0);
    }
  });

  it("answers RESOURCE_EXHAUSTED as soon as the envelope says too large, without waiting for the rest", async () => {
    const header = Buffer.from([0, 0, 0, 0, 0]);
    header.writeUInt32BE(100 * 1024 * 1024, 1);
    const a = await raw(auth(), (req) => {
      req.write(header);
      req.write(Buffer.alloc(16 * 1024));
      // The rest of the 100 MB never comes: the answer must not wait for it.
    });
    expect(a.headers["grpc-status"]).toBe("8");
    expect(a.ms).toBeLessThan(1000);
  });

  it("answers DEADLINE_EXCEEDED itself when the deadline passes, whatever the handler does", async () => {
    const a = await raw({ ...auth(), "grpc-timeout": "100m" }, (req) =>
      req.end(envelope(0, Buffer.from([0x0a, 0x04, ...Buffer.from("slow")]))),
    );
    expect(a.headers["grpc-status"]).toBe("4");
    expect(a.ms).toBeLessThan(1000);
    await expect.poll(() => seen.at(-1)?.signalAborted, { timeout: 2000 }).toBe(true);
  });

  it.each(["5H", "3M", "2S", "900m", "100000u", "99999999n"])("parses grpc-timeout %s", async (timeout) => {
    const a = await raw({ ...auth(), "grpc-timeout": timeout }, (req) => req.end(envelope(0, new Uint8Array())));
    expect(statusOf(a)).toBe(0);
  });

  it("refuses a malformed grpc-timeout like connect", async () => {
    const fast = await raw({ ...auth(), "grpc-timeout": "123456789n" }, (req) => req.end(envelope(0, new Uint8Array())));
    const connect = await raw({ ...auth(), "grpc-timeout": "123456789n", "grpc-encoding": "gzip" }, (req) => req.end(envelope(0, new Uint8Array())));
    expect(statusOf(fast)).toBe(3);
    expect(statusOf(connect)).toBe(3);
  });

  it("a client that resets the stream aborts the handler's signal", async () => {
    const session = http2.connect(server.url);
    const req = session.request({ ":method": "POST", ":path": getEvent, "content-type": "application/grpc", ...auth() });
    req.on("error", () => {});
    req.end(envelope(0, Buffer.from([0x0a, 0x0f, ...Buffer.from("wait-for-cancel")])));
    await expect.poll(() => seen.at(-1)?.eventId).toBe("wait-for-cancel");
    req.close(http2.constants.NGHTTP2_CANCEL);
    await expect.poll(() => seen.at(-1)?.signalAborted, { timeout: 2000 }).toBe(true);
    session.close();
  });
});
