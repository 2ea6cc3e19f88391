import { SpanKind, trace, type SpanContext } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { checkout, createTicketingClient } from "@ticketing/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS } from "./platform/bus.js";
import { startTracing, tracingClientInterceptor, type Tracing } from "./platform/tracing.js";
import { createEventWith, createTestDatabase, eventually, kafkaEnv, startTestPlatform, type TestDatabase, type TestPlatform } from "./testing/harness.js";

// One PlaceOrder followed across processes with the OpenTelemetry SDK and an in-memory exporter: a booking process,
// a checkout + event process and a notification process, on real PostgreSQL and Kafka, calling each other over gRPC.

const SECRET = { TICKETING_JWT_SECRET: "tracing-tests-share-one-secret-0123456789" };
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let db: TestDatabase;
let bookingSvc: TestPlatform;
let shop: TestPlatform;
let notifier: TestPlatform;

beforeAll(async () => {
  tracing = await startTracing("ticketing-test", [new SimpleSpanProcessor({ exporter })]);
  const env = { ...kafkaEnv(), ...SECRET };
  db = await createTestDatabase();
  bookingSvc = await startTestPlatform({
    db,
    services: ["booking"],
    env: { ...env, TICKETING_HOLD_TTL: "3s", TICKETING_EXPIRY_CRON: "* * * * * *" },
  });
  shop = await startTestPlatform({
    db,
    services: ["event", "checkout"],
    env: { ...env, TICKETING_BOOKING_URL: bookingSvc.platform.url },
    logLevel: "debug",
  });
  notifier = await startTestPlatform({ db, services: ["notification"], env });
});
afterAll(async () => {
  await notifier?.close();
  await shop?.close();
  await bookingSvc?.close();
  await db?.drop();
  await tracing?.shutdown();
});

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const parentOf = (span: ReadableSpan): SpanContext | undefined => span.parentSpanContext;
const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) => spans.filter((s) => parentOf(s)?.spanId === parent.spanContext().spanId);
const isDb = (s: ReadableSpan) => s.attributes["db.system.name"] === "postgresql";

function one(spans: ReadableSpan[], what: string, match: (s: ReadableSpan) => boolean): ReadableSpan {
  const found = spans.filter(match);
  expect(found.length, `${what}: ${spans.map((s) => s.name).join(", ")}`).toBe(1);
  return found[0] as ReadableSpan;
}

/** Whether `ancestor` is on the parent chain of `span`. */
function descends(spans: ReadableSpan[], span: ReadableSpan, ancestor: ReadableSpan): boolean {
  for (let s: ReadableSpan | undefined = span; s; ) {
    const parent: string | undefined = parentOf(s)?.spanId;
    if (parent === ancestor.spanContext().spanId) return true;
    s = spans.find((x) => x.spanContext().spanId === parent);
  }
  return false;
}

describe("OpenTelemetry traces", () => {
  it("follows one PlaceOrder from the buyer through checkout, booking, PostgreSQL and Kafka to the notification", async () => {
    const { ticketIds } = await createEventWith(shop.admin, 10);
    const token = await shop.platform.tokens.mint({ sub: "tracy", role: "customer" });
    const buyer = createTicketingClient({ baseUrl: shop.platform.url, token, protocol: "grpc", interceptors: [tracingClientInterceptor()] });
    await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });

    const { traceId, orderId } = await trace.getTracer("test").startActiveSpan("buyer checks out", async (root) => {
      const { order } = await buyer.checkout.placeOrder({});
      root.end();
      return { traceId: root.spanContext().traceId, orderId: order!.id };
    });
    const notified = await eventually(async () => {
      const spans = spansOf(traceId);
      return spans.some((s) => s.kind === SpanKind.CONSUMER && s.attributes["messaging.consumer.group.name"] === "ticketing-notification")
        ? spans
        : undefined;
    }, 20_000, "the notification consumer's span in the PlaceOrder trace");
    // The consumer's own database work ends just after its span is exported: let it land.
    await new Promise((r) => setTimeout(r, 200));
    const spans = spansOf(traceId);
    expect(notified.length).toBeGreaterThan(0);

    const root = one(spans, "root", (s) => s.name === "buyer checks out");
    expect(parentOf(root)).toBeUndefined();
    const place = "ticketing.checkout.v1.CheckoutService/PlaceOrder";
    const placeClient = one(spans, "PlaceOrder client", (s) => s.name === place && s.kind === SpanKind.CLIENT);
    const placeServer = one(spans, "PlaceOrder server", (s) => s.name === place && s.kind === SpanKind.SERVER);
    expect(parentOf(placeClient)?.spanId).toBe(root.spanContext().spanId);
    expect(parentOf(placeServer)?.spanId).toBe(placeClient.spanContext().spanId);
    expect(placeServer.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "ticketing.checkout.v1.CheckoutService", "rpc.method": "PlaceOrder" });

    // checkout → booking over gRPC: a CLIENT span in checkout, the SERVER span in the booking process under it.
    const hold = "ticketing.booking.v1.BookingService/CreateBooking";
    const holdClient = one(spans, "CreateBooking client", (s) => s.name === hold && s.kind === SpanKind.CLIENT);
    const holdServer = one(spans, "CreateBooking server", (s) => s.name === hold && s.kind === SpanKind.SERVER);
    expect(descends(spans, holdClient, placeServer)).toBe(true);
    expect(parentOf(holdServer)?.spanId).toBe(holdClient.spanContext().spanId);

    // Database spans under both services' handlers.
    const checkoutDb = childrenOf(spans, placeServer).filter(isDb);
    expect(checkoutDb.length).toBeGreaterThan(0);
    expect(checkoutDb.some((s) => String(s.attributes["db.query.text"]).includes("checkout.outbox"))).toBe(true);
    expect(spans.filter(isDb).some((s) => descends(spans, s, holdServer))).toBe(true);

    // Through Kafka: the PLACED event carries the PlaceOrder span's context; the notification consumer continues it.
    const consumed = one(
      spans,
      "notification consumer",
      (s) => s.kind === SpanKind.CONSUMER && s.attributes["messaging.consumer.group.name"] === "ticketing-notification",
    );
    expect(consumed.name).toBe(`${TOPICS.orderEvents} process`);
    expect(consumed.attributes).toMatchObject({ "messaging.system": "kafka", "messaging.kafka.message.key": orderId, "ticketing.event.type": "ORDER_EVENT_TYPE_PLACED" });
    expect(parentOf(consumed)?.spanId).toBe(placeServer.spanContext().spanId);
    expect(childrenOf(spans, consumed).filter(isDb).length).toBeGreaterThan(0);

    // Log lines written inside the trace carry its ids.
    const logged = shop.logs.lines.filter((l) => l["trace_id"] === traceId);
    expect(logged.some((l) => l["method"] === place && l["span_id"] === placeServer.spanContext().spanId)).toBe(true);
  });

  it("continues the expiry sweep's trace in checkout's booking-events consumer and then in the notification consumer", async () => {
    const { ticketIds } = await createEventWith(shop.admin, 10);
    const buyer = shop.customer("late-payer");
    await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await buyer.checkout.placeOrder({});
    const orderId = order!.id;
    await eventually(async () => {
      const { order: now } = await buyer.checkout.getOrder({ orderId });
      return now?.status === checkout.OrderStatus.EXPIRED ? now : undefined;
    }, 20_000, "the order to expire");

    const notifiedExpiry = await eventually(async () =>
      exporter
        .getFinishedSpans()
        .find(
          (s) =>
            s.kind === SpanKind.CONSUMER &&
            s.attributes["messaging.consumer.group.name"] === "ticketing-notification" &&
            s.attributes["messaging.kafka.message.key"] === orderId &&
            s.attributes["ticketing.event.type"] === "ORDER_EVENT_TYPE_EXPIRED",
        ), 20_000, "the notification of the expiry");
    const spans = spansOf(notifiedExpiry.spanContext().traceId);
    const sweep = one(spans, "sweep", (s) => s.name === "booking expire due holds");
    expect(parentOf(sweep)).toBeUndefined();
    const checkoutConsumer = one(
      spans,
      "checkout consumer",
      (s) => s.kind === SpanKind.CONSUMER && s.attributes["messaging.consumer.group.name"] === "ticketing-checkout" && s.attributes["messaging.kafka.message.key"] === orderId,
    );
    expect(checkoutConsumer.name).toBe(`${TOPICS.bookingEvents} process`);
    expect(checkoutConsumer.attributes["ticketing.event.type"]).toBe("BOOKING_EVENT_TYPE_EXPIRED");
    expect(parentOf(checkoutConsumer)?.spanId).toBe(sweep.spanContext().spanId);
    expect(parentOf(notifiedExpiry)?.spanId).toBe(checkoutConsumer.spanContext().spanId);
    expect(childrenOf(spans, sweep).filter(isDb).length).toBeGreaterThan(0);
  });
});
