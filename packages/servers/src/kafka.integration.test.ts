import { fromBinary } from "@bufbuild/protobuf";
import { Code, booking, checkout, toTicketingError } from "@ticketing/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPICS, type BusMessage } from "./platform/bus.js";
import { KafkaBus } from "./platform/kafka-bus.js";
import { createLogger } from "./platform/logger.js";
import {
  createEventWith,
  createTestDatabase,
  eventually,
  kafkaEnv,
  startTestPlatform,
  TEST_KAFKA_BROKERS,
  type TestDatabase,
  type TestPlatform,
} from "./testing/harness.js";

// Against the real broker scripts/kafka.sh runs. Each describe block has its own topic namespace.

const SECRET = { TICKETING_JWT_SECRET: "kafka-tests-share-one-secret-0123456789" };

/** A raw observer of a topic in the namespace, in its own consumer group. */
async function observe(namespace: string, topic: string) {
  const bus = await KafkaBus.connect({
    brokers: [TEST_KAFKA_BROKERS],
    clientId: "observer",
    logger: createLogger("silent"),
    namespace,
    sessionTimeoutMs: 6000,
  });
  const seen: BusMessage[] = [];
  await bus.subscribe({ topic, group: `observer-${Math.random()}`, handle: async (m) => void seen.push(m) });
  return { bus, seen };
}


describe("cross-process expiry and ordering over Kafka", () => {
  const env = kafkaEnv();
  const namespace = env["TICKETING_KAFKA_NAMESPACE"] as string;
  let db: TestDatabase;
  let bookingSvc: TestPlatform;
  let rest: TestPlatform;
  let orders: Awaited<ReturnType<typeof observe>>;
  let holds: Awaited<ReturnType<typeof observe>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    orders = await observe(namespace, TOPICS.orderEvents);
    holds = await observe(namespace, TOPICS.bookingEvents);
    bookingSvc = await startTestPlatform({
      db,
      services: ["booking"],
      env: { ...env, ...SECRET, TICKETING_HOLD_TTL: "4s", TICKETING_EXPIRY_CRON: "* * * * * *" },
    });
    rest = await startTestPlatform({
      db,
      services: ["event", "checkout"],
      env: { ...env, ...SECRET, TICKETING_BOOKING_URL: bookingSvc.platform.url },
    });
  });
  afterAll(async () => {
    await rest?.close();
    await bookingSvc?.close();
    await orders?.bus.close();
    await holds?.bus.close();
    await db?.drop();
  });

  it("an expiry in the booking process reaches the order in the checkout process", async () => {
    const { ticketIds } = await createEventWith(rest.admin, 5);
    const kim = rest.customer("kim");
    await kim.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order } = await kim.checkout.placeOrder({});
    const expired = await eventually(async () => {
      const { order: now } = await kim.checkout.getOrder({ orderId: order!.id });
      return now?.status === checkout.OrderStatus.EXPIRED ? now : undefined;
    }, 20_000, "the order to expire through Kafka");
    expect(expired.statusReason).toMatch(/expired/);
    expect((await bookingSvc.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 0, available: 5 });
    const onTopic = holds.seen.filter((m) => m.key === order!.id).map((m) => m.type);
    expect(onTopic).toEqual(["BOOKING_EVENT_TYPE_HELD", "BOOKING_EVENT_TYPE_EXPIRED"]);
  });

  it("keeps each order's events in order, keyed by order id, and publishes nothing for a rolled-back hold", async () => {
    const { ticketIds } = await createEventWith(rest.admin, 40);
    // Each order is paid or cancelled right after it is placed: the holds here live only a few seconds (for the
    // expiry test above), and an expiry racing in would be a different, also valid, second event.
    const placed: string[] = [];
    for (let i = 0; i < 12; i++) {
      const buyer = rest.customer(`seq-${i}`);
      await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 3 });
      const { order } = await buyer.checkout.placeOrder({});
      placed.push(order!.id);
      if (i % 2 === 0) await rest.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `p${i}` });
      else await buyer.checkout.cancelOrder({ orderId: order!.id });
    }
    const soldOut = rest.customer("too-late");
    await soldOut.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 30 }); // 22 are left
    const soldOutErr = toTicketingError(await soldOut.checkout.placeOrder({}).catch((e: unknown) => e));
    expect(soldOutErr.code, soldOutErr.message).toBe(Code.ResourceExhausted);
    const failed = (await soldOut.checkout.listOrders({})).orders[0]!;

    await eventually(async () => (placed.every((id) => orders.seen.filter((m) => m.key === id).length >= 2) ? true : undefined), 20_000);
    placed.forEach((id, i) => {
      const types = orders.seen.filter((m) => m.key === id).map((m) => m.type);
      expect(types).toEqual(["ORDER_EVENT_TYPE_PLACED", i % 2 === 0 ? "ORDER_EVENT_TYPE_PAID" : "ORDER_EVENT_TYPE_CANCELLED"]);
      for (const m of orders.seen.filter((x) => x.key === id)) {
        expect(fromBinary(checkout.OrderEventSchema, m.value).orderId).toBe(id);
      }
    });
    // The failed placement committed an ORDER_FAILED; booking's hold rolled back and said nothing about it.
    await eventually(async () => (orders.seen.some((m) => m.key === failed.id) ? true : undefined));
    expect(holds.seen.filter((m) => m.key === failed.id)).toEqual([]);
    expect(holds.seen.every((m) => fromBinary(booking.BookingEventSchema, m.value).orderId === m.key)).toBe(true);
  });
});
