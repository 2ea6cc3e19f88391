import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { admission, checkout } from "@ticketing/sdk";
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { deleteKafkaNamespace, freePort, REPO_ROOT, serverEnv, sleep, startProc, type Proc } from "./bench/onsale-infra.js";
import { TOPICS, type BusMessage } from "./platform/bus.js";
import { KafkaBus } from "./platform/kafka-bus.js";
import { createLogger } from "./platform/logger.js";
import { createTestDatabase, eventually, TEST_KAFKA_BROKERS, type TestDatabase } from "./testing/harness.js";

// The admission service as its own process on the real broker, killed with SIGKILL again and again while paid
// orders arrive (each delivered twice): afterwards every order has exactly its tickets, every ticket exactly one
// TicketIssued event, and every one of those events reached Kafka.

const ORDERS = 400;
const KILLS = 4;
const namespace = `crash-${randomBytes(4).toString("hex")}.`;
let db: TestDatabase;
let bus: KafkaBus;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  bus = await KafkaBus.connect({ brokers: [TEST_KAFKA_BROKERS], clientId: "admission-crash-test", partitions: 3, namespace, logger: createLogger("silent") });
});
afterAll(async () => {
  await bus?.close();
  await client?.end();
  await db?.drop();
  await deleteKafkaNamespace(namespace).catch(() => undefined);
});

function paidEvent(orderId: string, quantities: number[]): BusMessage {
  const eventId = randomUUID();
  const eventOfShow = randomUUID();
  const order = create(checkout.OrderSchema, {
    id: orderId,
    userId: `buyer-${orderId.slice(0, 4)}`,
    status: checkout.OrderStatus.PAID,
    items: quantities.map((quantity, i) => ({ ticketId: randomUUID(), eventId: eventOfShow, ticketName: `Type ${i + 1}`, quantity })),
  });
  const value = create(checkout.OrderEventSchema, { eventId, occurredAt: timestampNow(), orderId, type: checkout.OrderEventType.PAID, order });
  return { topic: TOPICS.orderEvents, key: orderId, type: "ORDER_EVENT_TYPE_PAID", eventId, value: toBinary(checkout.OrderEventSchema, value) };
}

const count = async (query: string) => Number((await client.query<{ n: string }>(query)).rows[0]?.n ?? 0);

it("kill -9 of the admission process between issuance steps issues no duplicate and loses no ticket", { timeout: 240_000 }, async () => {
  const port = await freePort();
  const env = serverEnv({
    TICKETING_DATABASE_URL: db.url,
    TICKETING_JWT_SECRET: randomBytes(24).toString("hex"),
    TICKETING_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    TICKETING_KAFKA_NAMESPACE: namespace,
    TICKETING_KAFKA_PARTITIONS: "3",
    TICKETING_KAFKA_SESSION_TIMEOUT_MS: "6000",
    // A restarted process takes its partitions back at once instead of waiting out the dead one's session.
    TICKETING_KAFKA_GROUP_INSTANCE_ID: "admission-crash-test",
    TICKETING_PORT: String(port),
    TICKETING_LOG_LEVEL: "warn",
  });
  const start = () =>
    startProc({ name: "admission", args: [join(REPO_ROOT, "packages/servers/dist/main.js"), "admission", "--migrate"], env, port, logDir: join(REPO_ROOT, ".run/admission-crash"), ready: "readyz" });

  const orders = Array.from({ length: ORDERS }, () => ({ id: randomUUID(), quantities: [1 + Math.floor(Math.random() * 3), 1 + Math.floor(Math.random() * 2)] }));
  const expected = orders.reduce((sum, o) => sum + o.quantities[0]! + o.quantities[1]!, 0);
  // Orders arrive in batches while the process is killed and restarted; Kafka's at-least-once is played by
  // publishing every event twice.
  const producing = (async () => {
    for (let i = 0; i < ORDERS; i += 20) {
      const batch = orders.slice(i, i + 20).map((o) => paidEvent(o.id, o.quantities));
      await bus.publish([...batch, ...batch]);
      await sleep(250);
    }
  })();

  let proc: Proc = await start();
  let kills = 0;
  for (let seen = 0; kills < KILLS; ) {
    const now = await eventually(async () => {
      const n = await count("select count(*) as n from admission.ticket");
      return n > seen ? n : undefined;
    }, 60_000, "issuance to go on");
    seen = now;
    await sleep(Math.random() * 200);
    process.kill(proc.pid, "SIGKILL");
    await proc.exited;
    kills++;
    proc = await start();
  }
  await producing;
  try {
    await eventually(async () => ((await count("select count(*) as n from admission.ticket")) >= expected ? true : undefined), 90_000, "every ticket");
    await eventually(async () => ((await count("select count(*) as n from admission.outbox where published_at is null")) === 0 ? true : undefined), 30_000, "the outbox to drain");
  } finally {
    await proc.stop();
  }

  const perOrder = await client.query<{ order_id: string; n: string; numbers: number[] }>(
    "select order_id, count(*) as n, array_agg(number order by number) as numbers from admission.ticket group by order_id",
  );
  expect(perOrder.rows).toHaveLength(ORDERS);
  const byId = new Map<string, number>(orders.map((o) => [o.id, o.quantities[0]! + o.quantities[1]!]));
  for (const row of perOrder.rows) {
    const want = byId.get(row.order_id)!;
    expect(row.numbers).toEqual(Array.from({ length: want }, (_, i) => i + 1));
  }
  expect(await count("select count(*) as n from admission.ticket")).toBe(expected);
  expect(await count("select count(*) as n from admission.processed_event")).toBe(ORDERS);
  const outbox = await client.query<{ payload: Buffer }>("select payload from admission.outbox where type = 'TICKET_ISSUED'");
  const issuedIds = outbox.rows.map((r) => fromBinary(admission.TicketIssuedSchema, r.payload).ticket?.id);
  expect(issuedIds).toHaveLength(expected);
  expect(new Set(issuedIds).size).toBe(expected);

  // Every TicketIssued reached the broker (perhaps more than once: the relay publishes at least once).
  const onKafka = new Set<string>();
  const subscription = await bus.subscribe({
    topic: TOPICS.ticketEvents,
    group: "admission-crash-test-reader",
    handle: async (m) => {
      const id = fromBinary(admission.TicketIssuedSchema, m.value).ticket?.id;
      if (id) onKafka.add(id);
    },
  });
  try {
    await eventually(async () => (onKafka.size >= expected ? true : undefined), 60_000, "every TicketIssued on Kafka");
  } finally {
    await subscription.close();
  }
  expect([...onKafka].sort()).toEqual([...new Set(issuedIds)].sort());
  expect(kills).toBe(KILLS);
});
