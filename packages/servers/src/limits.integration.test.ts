import { create, toBinary } from "@bufbuild/protobuf";
import { booking, checkout, createTicketingClient, toTicketingError } from "@ticketing/sdk";
import { SignJWT } from "jose";
import { randomBytes, randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_REQUEST_BYTES } from "./platform/request-limits.js";
import { createEventWith, startTestPlatform, type TestPlatform } from "./testing/harness.js";
import { envelope, grpc, http1 } from "./testing/raw.js";

// What a request may be, per protocol, on a real server: the size limit holds on the wire and once inflated, before
// authentication; malformed bodies are INVALID_ARGUMENT, never INTERNAL or HTTP 500.

let t: TestPlatform;
let session: http2.ClientHttp2Session;
let customerToken: string;
beforeAll(async () => {
  t = await startTestPlatform({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } });
  session = http2.connect(t.platform.url);
  customerToken = await t.platform.tokens.mint({ sub: "lim", role: "customer" });
});
afterAll(async () => {
  session?.close();
  await t?.close();
});

const ADD_TO_CART = "/ticketing.checkout.v1.CheckoutService/AddToCart";
const GET_CART = "/ticketing.checkout.v1.CheckoutService/GetUserCart";
const MAX = DEFAULT_MAX_REQUEST_BYTES;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const addToCart = (fields: { idempotencyKey?: string; ticketId?: string }) => toBinary(checkout.AddToCartRequestSchema, create(checkout.AddToCartRequestSchema, fields));
const connectJson = (extra: Record<string, string> = {}) => ({ "content-type": "application/json", ...extra });

describe("request size, before authentication", () => {
  it("a Connect body over the limit, plain or compressed, is RESOURCE_EXHAUSTED without a token, and inflating stops at the limit", async () => {
    const huge = json({ idempotencyKey: "k".repeat(64 * 1024 * 1024), ticketId: randomUUID(), quantity: 1 });
    const bombs = [
      ["gzip", zlib.gzipSync(huge)],
      ["br", zlib.brotliCompressSync(huge, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })],
    ] as const;
    const rss = process.memoryUsage().rss;
    for (const [encoding, body] of bombs) {
      const started = performance.now();
      const answer = await http1(t.platform.url, "POST", ADD_TO_CART, connectJson({ "content-encoding": encoding }), body);
      expect(answer.code, `${encoding} bomb of ${body.length} bytes`).toBe("resource_exhausted");
      expect(performance.now() - started).toBeLessThan(2000);
    }
    // Inflated to the limit and no further: 64 MiB of output would show here.
    expect(process.memoryUsage().rss - rss).toBeLessThan(48 * 1024 * 1024);
    const plain = await http1(t.platform.url, "POST", ADD_TO_CART, connectJson(), json({ idempotencyKey: "k".repeat(MAX) }));
    expect(plain.code).toBe("resource_exhausted");
    // Just under the limit is read, and then refused for what it is: no token.
    const under = await http1(t.platform.url, "POST", ADD_TO_CART, connectJson(), json({ idempotencyKey: "k".repeat(MAX - 100) }));
    expect(under.code).toBe("unauthenticated");
  });

  it("gRPC-web and gRPC bodies over the limit, plain or compressed, are RESOURCE_EXHAUSTED without a token", async () => {
    const big = addToCart({ idempotencyKey: "k".repeat(MAX + 1) });
    const web = await http1(t.platform.url, "POST", ADD_TO_CART, { "content-type": "application/grpc-web+proto" }, envelope(big));
    expect(web.code).toBe("resource_exhausted");
    const bomb = zlib.gzipSync(addToCart({ idempotencyKey: "k".repeat(16 * MAX) }));
    const webBomb = await http1(t.platform.url, "POST", ADD_TO_CART, { "content-type": "application/grpc-web+proto", "grpc-encoding": "gzip" }, envelope(bomb, 1));
    expect(webBomb.code).toBe("resource_exhausted");
    expect((await grpc(session, ADD_TO_CART, {}, envelope(big))).code).toBe("resource_exhausted");
    expect((await grpc(session, ADD_TO_CART, { "grpc-encoding": "gzip" }, envelope(bomb, 1))).code).toBe("resource_exhausted");
  });

  it("a Connect GET message parameter over the limit is RESOURCE_EXHAUSTED", async () => {
    // Node refuses request heads over 16 KiB itself (431); the parameter's own limit is the request limit.
    const small = await startTestPlatform({ env: { TICKETING_MAX_REQUEST_BYTES: "1024" }, services: ["checkout"] });
    try {
      const message = Buffer.from(addToCart({ idempotencyKey: "k".repeat(2000) })).toString("base64url");
      const answer = await http1(small.platform.url, "GET", `${GET_CART}?connect=v1&encoding=proto&base64=1&message=${message}`, {});
      expect(answer.code).toBe("resource_exhausted");
    } finally {
      await small.close();
    }
  });

  it("gRPC CreateBooking with 10,000 items gets RESOURCE_EXHAUSTED, not a broken stream", async () => {
    const items = Array.from({ length: 10_000 }, () => ({ ticketId: randomUUID(), quantity: 1 }));
    const err = await t.admin.bookings.createBooking({ orderId: randomUUID(), items }).then(
      () => undefined,
      (e: unknown) => e as { code: number; rawMessage: string },
    );
    expect(err?.code).toBe(8); // RESOURCE_EXHAUSTED
    expect(err?.rawMessage).toMatch(/larger than the limit of 262144 bytes \(TICKETING_MAX_REQUEST_BYTES\)/);
  });
});

describe("a body refused before its end", () => {
  // Node's HTTP/2 client counts the request bytes it has queued against its session's memory (10 MB by default) and
  // never gives them back when the server resets the stream; once past the limit, that session refuses every
  // answer's headers with ENHANCE_YOUR_CALM and its calls hang. The server reads and drops what is still coming
  // instead of resetting at once, so refusing ten 1 MiB requests does not cost the client its connection.
  it("leaves the client's HTTP/2 connection usable, on the gRPC fast path and on connect's", async () => {
    const own = http2.connect(t.platform.url);
    try {
      const auth = { authorization: `Bearer ${customerToken}` };
      for (let i = 0; i < 15; i++) {
        const fast = await grpc(own, ADD_TO_CART, auth, envelope(randomBytes(1024 * 1024)), 3000);
        expect(fast.code, `fast path, request ${i}`).toBe("resource_exhausted");
        const viaConnect = await grpc(own, ADD_TO_CART, { "grpc-encoding": "gzip", ...auth }, envelope(randomBytes(1024 * 1024), 1), 3000);
        expect(viaConnect.code, `connect's path, request ${i}`).toBe("resource_exhausted");
      }
      expect((await grpc(own, GET_CART, auth, envelope(new Uint8Array()), 3000)).code).toBe("ok");
    } finally {
      own.close();
    }
    const sdk = createTicketingClient({ baseUrl: t.platform.url, token: customerToken, protocol: "grpc", timeoutMs: 3000, retry: { maxAttempts: 1 } });
    const codeOf = (call: Promise<unknown>) => call.then(() => 0, (e: unknown) => toTicketingError(e).code);
    for (let i = 0; i < 15; i++) {
      expect(await codeOf(sdk.checkout.addToCart({ ticketId: randomUUID(), quantity: 1, idempotencyKey: "k".repeat(1024 * 1024) }))).toBe(8);
    }
    expect(await codeOf(sdk.checkout.getUserCart({}))).toBe(0);
  });
});

describe("malformed requests are INVALID_ARGUMENT, never INTERNAL or HTTP 500", () => {
  const auth = () => ({ authorization: `Bearer ${customerToken}` });

  it("garbage protobuf over Connect, gRPC-web and gRPC", async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x7a]);
    const connect = await http1(t.platform.url, "POST", ADD_TO_CART, { "content-type": "application/proto", ...auth() }, garbage);
    expect([connect.status, connect.code]).toEqual([400, "invalid_argument"]);
    const web = await http1(t.platform.url, "POST", ADD_TO_CART, { "content-type": "application/grpc-web+proto", ...auth() }, envelope(garbage));
    expect(web.code).toBe("invalid_argument");
    expect((await grpc(session, ADD_TO_CART, auth(), envelope(garbage))).code).toBe("invalid_argument");
    expect((await grpc(session, ADD_TO_CART, { "grpc-encoding": "gzip", ...auth() }, envelope(zlib.gzipSync(garbage), 1))).code).toBe("invalid_argument");
    // A compressed flag with no encoding named, and a gzip body that is not gzip.
    expect((await grpc(session, ADD_TO_CART, auth(), envelope(Buffer.from("abc"), 1))).code).toBe("invalid_argument");
    const notGzip = await http1(t.platform.url, "POST", ADD_TO_CART, connectJson({ "content-encoding": "gzip", ...auth() }), Buffer.from("{}"));
    expect(notGzip.code).toBe("invalid_argument");
  });

  it("invalid UTF-8 in a string, in binary and in JSON", async () => {
    const ticketField = Buffer.from([0x12, 0x02, 0xc3, 0x28]); // field 2 (ticket_id), two bytes that are no UTF-8
    expect((await grpc(session, ADD_TO_CART, auth(), envelope(ticketField))).code).toBe("invalid_argument");
    const connect = await http1(t.platform.url, "POST", ADD_TO_CART, { "content-type": "application/proto", ...auth() }, ticketField);
    expect(connect.code).toBe("invalid_argument");
    const badJson = Buffer.concat([Buffer.from('{"ticketId":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","quantity":1}')]);
    expect((await http1(t.platform.url, "POST", ADD_TO_CART, connectJson(auth()), badJson)).code).toBe("invalid_argument");
    // JSON can spell a lone surrogate, which is no text either.
    const lone = await http1(t.platform.url, "POST", ADD_TO_CART, connectJson(auth()), Buffer.from('{"idempotencyKey":"\\ud800","ticketId":"x"}'));
    expect(lone.code).toBe("invalid_argument");
    expect(lone.message).toContain("idempotency_key");
  });

  it("Connect GET with bad base64, and a Connect protocol version other than 1", async () => {
    const bad = await http1(t.platform.url, "GET", `${GET_CART}?connect=v1&encoding=proto&base64=1&message=!!!`, auth());
    expect([bad.status, bad.code]).toEqual([400, "invalid_argument"]);
    const notProto = await http1(t.platform.url, "GET", `${GET_CART}?connect=v1&encoding=proto&base64=1&message=_____w`, auth());
    expect(notProto.code).toBe("invalid_argument");
    const good = await http1(t.platform.url, "GET", `${GET_CART}?connect=v1&encoding=json&message=%7B%7D`, auth());
    expect(good.code).toBe("ok");
    const v99 = await http1(t.platform.url, "POST", GET_CART, connectJson({ "connect-protocol-version": "99", ...auth() }), json({}));
    expect(v99.code).toBe("invalid_argument");
    const getV2 = await http1(t.platform.url, "GET", `${GET_CART}?connect=v2&encoding=json&message=%7B%7D`, auth());
    expect(getV2.code).toBe("invalid_argument");
  });

  it("a token whose subject is not text is UNAUTHENTICATED", async () => {
    const key = new TextEncoder().encode(t.secret);
    for (const sub of ["a\u0000b", "x".repeat(201)]) {
      const token = await new SignJWT({ role: "customer" }).setProtectedHeader({ alg: "HS256" }).setIssuer("ticketing").setSubject(sub).sign(key);
      const answer = await grpc(session, GET_CART, { authorization: `Bearer ${token}` }, envelope(new Uint8Array()));
      expect(answer.code).toBe("unauthenticated");
    }
  });

  it("Duration nanos out of range", async () => {
    for (const ttl of [{ seconds: 60n, nanos: 1_000_000_000 }, { seconds: 60n, nanos: -1 }]) {
      const err = await t.admin.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId: randomUUID(), quantity: 1 }], ttl }).then(
        () => undefined,
        (e: unknown) => e as { code: number; rawMessage: string },
      );
      expect(err?.code).toBe(3);
      expect(err?.rawMessage).toMatch(/^ttl: nanos/);
    }
  });
});

describe("NUL in a text field", () => {
  it("MarkOrderAsPaid and CancelOrder with NUL are INVALID_ARGUMENT and change nothing", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const nul = t.customer("nul");
    await nul.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order } = await nul.checkout.placeOrder({});
    const codeOf = (call: Promise<unknown>) => call.then(() => 0, (e: unknown) => (e as { code: number }).code);
    expect(await codeOf(t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "\u0000" }))).toBe(3);
    expect(await codeOf(nul.checkout.cancelOrder({ orderId: order!.id, reason: "\u0000" }))).toBe(3);
    expect((await nul.checkout.getOrder({ orderId: order!.id })).order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    const { bookings } = await t.admin.bookings.getBookings({ orderId: order!.id });
    expect(bookings.map((b) => b.status)).toEqual([booking.BookingStatus.HELD]);
    expect((await t.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 2, sold: 0 });
  });
});

describe("deadlines", () => {
  it("a deadline past a day is read as a day: WatchOrder does not end at once", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5);
    const wes = t.customer("wes");
    await wes.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await wes.checkout.placeOrder({});
    const token = await t.platform.tokens.mint({ sub: "wes", role: "customer" });
    const body = envelope(toBinary(checkout.WatchOrderRequestSchema, create(checkout.WatchOrderRequestSchema, { orderId: order!.id })));
    const stream = session.request({
      ":method": "POST",
      ":path": "/ticketing.checkout.v1.CheckoutService/WatchOrder",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": "99999999H",
      authorization: `Bearer ${token}`,
    });
    let ended = false;
    stream.on("trailers", () => {
      ended = true;
    });
    stream.on("error", () => {});
    stream.resume();
    stream.end(body);
    await new Promise((r) => setTimeout(r, 1500));
    expect(ended).toBe(false);
    stream.close();
  });
});
