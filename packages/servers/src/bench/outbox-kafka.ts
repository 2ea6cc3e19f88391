// Benchmark: outbox → Kafka throughput, and order-paid → notification-stored latency, on this machine against the
// real PostgreSQL and Kafka started by scripts/postgres.sh and scripts/kafka.sh. Prints figures; asserts nothing.
//   node packages/servers/dist/bench/outbox-kafka.js [--messages 20000] [--orders 200]
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampNow } from "@bufbuild/protobuf/wkt";
import { booking as pb, createTicketingClient } from "@ticketing/sdk";
import { sql } from "kysely";
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { bookingModule } from "../booking/index.js";
import { TOPICS } from "../platform/bus.js";
import { migrate, openOrm } from "../platform/db.js";
import { KafkaBus } from "../platform/kafka-bus.js";
import { OutboxRelay, enqueue } from "../platform/outbox.js";
import { percentile, withDatabase, withPlatform } from "./shared.js";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "20000" }, orders: { type: "string", default: "200" } },
});
const MESSAGES = Number(values.messages);
const ORDERS = Number(values.orders);
const BROKERS = process.env["TICKETING_TEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092";
const silent = pino({ level: "silent" });


async function throughput(): Promise<void> {
  await withDatabase(async (url) => {
    const orm = await openOrm(bookingModule.schema, url, 4, silent);
    await migrate(orm, bookingModule.schema);
    const bus = await KafkaBus.connect({ brokers: [BROKERS], clientId: "bench", logger: silent, namespace: `bench-${randomBytes(3).toString("hex")}.` });
    try {
      // Realistic payloads: a BookingEvent with two bookings (≈ 250 bytes).
      const payload = (orderId: string) =>
        toBinary(
          pb.BookingEventSchema,
          create(pb.BookingEventSchema, {
            eventId: randomUUID(),
            occurredAt: timestampNow(),
            orderId,
            type: pb.BookingEventType.HELD,
            bookings: [1, 2].map(() => ({ id: randomUUID(), orderId, ticketId: randomUUID(), eventId: randomUUID(), quantity: 2, status: pb.BookingStatus.HELD, expiresAt: timestampNow() })),
          }),
        );
      for (let written = 0; written < MESSAGES; written += 1000) {
        await orm.em.fork().transactional(async (tx) => {
          const batch = Array.from({ length: Math.min(1000, MESSAGES - written) }, () => {
            const orderId = randomUUID();
            return { topic: TOPICS.bookingEvents, key: orderId, type: "BOOKING_EVENT_TYPE_HELD", eventId: randomUUID(), value: payload(orderId) };
          });
          await enqueue(tx, "booking", batch);
        });
      }
      const relay = new OutboxRelay(orm, { schema: "booking", bus, logger: silent, pollMs: 50 });
      const started = performance.now();
      relay.start();
      for (;;) {
        const lag = await relay.lag();
        if (lag.pending === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - started) / 1000;
      await relay.stop();
      const { rows } = await sql<{ n: string }>`select count(*) as n from booking.outbox where published_at is not null`.execute(orm.em.fork().getKysely());
      console.log(
        `outbox → Kafka: ${rows[0]?.n} events published in ${seconds.toFixed(2)} s = ${Math.round(MESSAGES / seconds)} msg/s ` +
          `(the relay's default batches of 1000, idempotent producer, acks=all, 1 broker)`,
      );
    } finally {
      await bus.close();
      await orm.close();
    }
  });
}

async function latency(): Promise<void> {
  await withPlatform(async (platform) => {
    const admin = createTicketingClient({ baseUrl: platform.url, token: await platform.tokens.mint({ sub: "admin", role: "admin" }) });
    const { event } = await admin.events.createEvent({
      name: "Bench",
      startsAt: { seconds: 2_000_000_000n },
      endsAt: { seconds: 2_000_003_600n },
      ticketTypes: [{ name: "GA", price: { amountMinor: 1000n, currency: "EUR" }, capacity: ORDERS }],
    });
    const ticketId = event!.ticketTypes[0]!.id;
    const paidAt = new Map<string, number>();
    for (let i = 0; i < ORDERS; i++) {
      const buyer = createTicketingClient({ baseUrl: platform.url, token: await platform.tokens.mint({ sub: `bench-${i}`, role: "customer" }) });
      await buyer.checkout.addToCart({ ticketId, quantity: 1 });
      const { order } = await buyer.checkout.placeOrder({});
      const { order: paid } = await admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `bench-${i}` });
      // The PAID transition's own database timestamp: the same clock as the notification's created_at.
      paidAt.set(order!.id, timestampDate(paid!.updatedAt!).getTime());
    }
    const db = platform.orms.notification!.em.fork().getKysely();
    let rows: { order_id: string; created_at: Date | string }[] = [];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      ({ rows } = await sql<{ order_id: string; created_at: Date | string }>`
        select order_id, created_at from notification.notification where order_event_type = 'ORDER_EVENT_TYPE_PAID'`.execute(db));
      if (rows.length >= ORDERS) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const latencies = rows
      .map((r) => new Date(r.created_at).getTime() - (paidAt.get(r.order_id) ?? NaN))
      .filter((ms) => Number.isFinite(ms))
      .sort((a, b) => a - b);
    console.log(
      `order paid → notification stored: ${latencies.length} orders, p50 ${percentile(latencies, 50)} ms, ` +
        `p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (one order at a time, all services in one process)`,
    );
  });
}

await throughput();
await latency();
