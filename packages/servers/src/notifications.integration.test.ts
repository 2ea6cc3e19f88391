import { Code, checkout, notification, toTicketingError } from "@ticketing/sdk";
import { sql } from "kysely";
import { spawn, type ChildProcess } from "node:child_process";
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, signBody } from "./notification/channels.js";
import { TOPICS, type BusMessage } from "./platform/bus.js";
import { KafkaBus, deadLetterTopic } from "./platform/kafka-bus.js";
import { createLogger } from "./platform/logger.js";
import {
  TEST_KAFKA_BROKERS,
  createEventWith,
  createTestDatabase,
  eventually,
  kafkaEnv,
  startTestPlatform,
  type TestDatabase,
  type TestPlatform,
} from "./testing/harness.js";

// The notification service against the real broker: exactly one notification per order change through a crash,
// signed webhooks, e-mail to a real SMTP server, and poison messages set aside.

async function connectBus(namespace: string) {
  return KafkaBus.connect({ brokers: [TEST_KAFKA_BROKERS], clientId: "test", logger: createLogger("silent"), namespace, sessionTimeoutMs: 6000 });
}

async function observe(bus: KafkaBus, topic: string): Promise<BusMessage[]> {
  const seen: BusMessage[] = [];
  await bus.subscribe({ topic, group: `observer-${Math.random()}`, handle: async (m) => void seen.push(m) });
  return seen;
}

describe("exactly one notification per order change, through a crash of the consumer", () => {
  const env = kafkaEnv();
  const namespace = env["TICKETING_KAFKA_NAMESPACE"] as string;
  const secret = { TICKETING_JWT_SECRET: "notification-crash-test-secret-012345" };
  let shop: TestPlatform;
  let notifyDb: TestDatabase;
  let bus: KafkaBus;
  let child: ChildProcess | undefined;

  const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
  const startNotifier = () => {
    const proc = spawn(process.execPath, [main, "notification", "--migrate"], {
      env: { ...process.env, ...env, ...secret, TICKETING_DATABASE_URL: notifyDb.url, TICKETING_PORT: "0", TICKETING_LOG_LEVEL: "warn" },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child = proc;
    return proc;
  };
  const count = async () => {
    const c = new pg.Client({ connectionString: notifyDb.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ total: string; distinct_events: string }>(
        "select count(*) as total, count(distinct source_event_id) as distinct_events from notification.notification",
      );
      return { total: Number(rows[0]!.total), distinct: Number(rows[0]!.distinct_events) };
    } catch {
      return { total: 0, distinct: 0 }; // not migrated yet
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    notifyDb = await createTestDatabase();
    bus = await connectBus(namespace);
    shop = await startTestPlatform({ services: ["event", "booking", "checkout"], env: { ...env, ...secret } });
  });
  afterAll(async () => {
    child?.kill("SIGKILL");
    await shop?.close();
    await bus?.close();
    await notifyDb?.drop();
  });

  it("a notifier killed with SIGKILL mid-stream and restarted stores every change once", async () => {
    const published = await observe(bus, TOPICS.orderEvents);
    const { ticketIds } = await createEventWith(shop.admin, 500);
    const first = startNotifier();

    // Orders keep coming while the notifier is killed and restarted. Paced, so the stream outlasts the moment of the
    // kill: unpaced, the services place all 40 orders (and the notifier stores all 80 events) before it lands.
    const producing = (async () => {
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 25));
        const buyer = shop.customer(`crash-${i}`);
        await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
        const { order } = await buyer.checkout.placeOrder({});
        // Every kind of change: placed, then paid, cancelled or expired.
        if (i % 3 === 0) await buyer.checkout.cancelOrder({ orderId: order!.id });
        else if (i % 3 === 1) await shop.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `crash-${i}` });
        else {
          const { bookings } = await shop.admin.bookings.getBookings({ orderId: order!.id });
          await shop.admin.bookings.expireBookings({ bookingIds: bookings.map((b) => b.id) });
        }
      }
    })();
    await eventually(async () => ((await count()).total >= 5 ? true : undefined), 30_000, "the first notifications");
    first.kill("SIGKILL");
    const atKill = (await count()).total;
    await producing;
    startNotifier();

    const expected = await eventually(async () => (published.length >= 80 ? published.length : undefined), 30_000, "80 order events");
    const stored = await eventually(async () => {
      const c = await count();
      return c.total >= expected ? c : undefined;
    }, 60_000, "every event to be notified");
    expect(atKill).toBeLessThan(expected);
    expect(stored).toEqual({ total: expected, distinct: expected });
    const c = new pg.Client({ connectionString: notifyDb.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ source_event_id: string }>("select source_event_id from notification.notification");
      expect(new Set(rows.map((r) => r.source_event_id))).toEqual(new Set(published.map((m) => m.eventId)));
      const { rows: kinds } = await c.query<{ order_event_type: string; n: string }>(
        "select order_event_type, count(*) as n from notification.notification group by 1 order by 1",
      );
      expect(Object.fromEntries(kinds.map((k) => [k.order_event_type, Number(k.n)]))).toEqual({
        ORDER_EVENT_TYPE_CANCELLED: 14,
        ORDER_EVENT_TYPE_EXPIRED: 13,
        ORDER_EVENT_TYPE_PAID: 13,
        ORDER_EVENT_TYPE_PLACED: 40,
      });
    } finally {
      await c.end();
    }
    console.log(`[notifier crash] ${expected} order events, ${atKill} notified before SIGKILL, ${stored.total} after restart, no duplicates`);
  });
});

describe("webhook channel", () => {
  const webhookSecret = "whsec-0123456789abcdef";
  const received: { body: string; signature: string; valid: boolean }[] = [];
  let failNext = 1;
  let receiver: Server;
  let t: TestPlatform;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const signature = String(req.headers[SIGNATURE_HEADER] ?? "");
        const expected = Buffer.from(signBody(webhookSecret, body));
        const valid = signature.length === expected.length && timingSafeEqual(Buffer.from(signature), expected);
        received.push({ body, signature, valid });
        if (!valid) {
          res.writeHead(401).end("bad signature");
        } else if (failNext > 0) {
          failNext--;
          res.writeHead(503).end("try again");
        } else {
          res.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    t = await startTestPlatform({
      env: {
        ...kafkaEnv(),
        TICKETING_NOTIFY_CHANNEL: "webhook",
        TICKETING_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/tickets`,
        TICKETING_NOTIFY_WEBHOOK_SECRET: webhookSecret,
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((r) => receiver.close(r));
  });

  it("POSTs signed JSON, retries a failed delivery with backoff, and keeps a delivery log", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5, { priceMinor: 4500n });
    const lea = t.customer("lea");
    await lea.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order } = await lea.checkout.placeOrder({});
    await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "wh-1" });

    const delivered = await eventually(async () => {
      const { notifications } = await lea.notifications.listNotifications({ orderId: order!.id });
      const done = notifications.filter((n) => n.deliveryStatus === notification.DeliveryStatus.DELIVERED);
      return done.length === 2 ? notifications : undefined;
    }, 20_000, "both notifications delivered");
    expect(delivered.map((n) => n.orderEventType).sort()).toEqual([checkout.OrderEventType.PLACED, checkout.OrderEventType.PAID]);
    expect(delivered.every((n) => n.channel === notification.NotificationChannel.WEBHOOK)).toBe(true);
    expect(delivered.map((n) => n.attempts).sort()).toEqual([1, 2]);

    expect(received.every((r) => r.valid)).toBe(true);
    const paid = received.map((r) => JSON.parse(r.body)).find((b) => b.type === "ORDER_EVENT_TYPE_PAID");
    expect(paid).toMatchObject({ orderId: order!.id, userId: "lea", subject: expect.stringMatching(/confirmed/) });
    expect(paid.event.order.total).toEqual({ amountMinor: "9000", currency: "EUR" });
    // A body changed in transit no longer matches its signature.
    expect(signBody(webhookSecret, `${received[0]!.body} `)).not.toBe(received[0]!.signature);

    const db = t.platform.orms.notification!.em.fork().getKysely();
    const { rows } = await sql<{ outcome: string }>`
      select a.outcome from notification.delivery_attempt a join notification.notification n on n.id = a.notification_id
      where n.order_id = ${order!.id}::uuid order by a.id`.execute(db);
    expect(rows.map((r) => r.outcome)).toEqual(["RETRY", "DELIVERED", "DELIVERED"]);
  });

  it("lists notifications by order or user, each customer only their own", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5);
    const mo = t.customer("mo");
    await mo.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order } = await mo.checkout.placeOrder({});
    await eventually(async () => ((await mo.notifications.listNotifications({})).notifications.length > 0 ? true : undefined));
    const other = t.customer("nosy");
    // Another customer's order does not exist for them, as in checkout (it used to answer an empty list).
    const hidden = toTicketingError(await other.notifications.listNotifications({ orderId: order!.id }).catch((e: unknown) => e));
    expect(hidden.code).toBe(Code.NotFound);
    const denied = toTicketingError(await other.notifications.listNotifications({ userId: "mo" }).catch((e: unknown) => e));
    expect(denied.code).toBe(Code.PermissionDenied);
    const { notifications } = await t.admin.notifications.listNotifications({ userId: "mo" });
    expect(notifications.every((n) => n.userId === "mo")).toBe(true);
    expect(notifications.length).toBeGreaterThan(0);
  });
});

describe("email channel and dead letters", () => {
  const mails: { to: string; raw: string }[] = [];
  let smtp: SMTPServer;
  let t: TestPlatform;
  const env = kafkaEnv();

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(","), raw: Buffer.concat(chunks).toString("utf8") });
          done();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    const port = (smtp.server.address() as AddressInfo).port;
    t = await startTestPlatform({
      env: {
        ...env,
        TICKETING_NOTIFY_CHANNEL: "email",
        TICKETING_SMTP_URL: `smtp://127.0.0.1:${port}`,
        TICKETING_NOTIFY_EMAIL_FROM: "box-office@ticketing.test",
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it("e-mails the buyer a rendered message per change", async () => {
    const { ticketIds } = await createEventWith(t.admin, 5, { priceMinor: 4500n });
    const buyer = t.customer("alice@example.test");
    await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order } = await buyer.checkout.placeOrder({});
    await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: "mail-1" });
    const mine = await eventually(async () => {
      const list = mails.filter((m) => m.raw.includes(order!.id));
      return list.length >= 2 ? list : undefined;
    }, 20_000, "two e-mails");
    expect(mine.every((m) => m.to === "alice@example.test")).toBe(true);
    const confirmation = mine.find((m) => /Subject: Your tickets are confirmed/.test(m.raw))!;
    expect(confirmation.raw).toContain("From: box-office@ticketing.test");
    expect(confirmation.raw).toMatch(/payment of =E2=82=AC90\.00|payment of €90\.00/);
    expect(confirmation.raw).toContain("Type 1");
    expect(mine.some((m) => /Subject: Your tickets are reserved/.test(m.raw))).toBe(true);
  });

  it("a poison message goes to the dead-letter topic with its error, and the consumer moves on", async () => {
    const namespace = env["TICKETING_KAFKA_NAMESPACE"] as string;
    const bus = await connectBus(namespace);
    try {
      const dead = await observe(bus, deadLetterTopic(TOPICS.orderEvents));
      const poisonId = crypto.randomUUID();
      await bus.publish([
        { topic: TOPICS.orderEvents, key: "poison", type: "ORDER_EVENT_TYPE_PAID", eventId: poisonId, value: new Uint8Array([0xff, 0xff, 0xff]) },
      ]);
      // Every group that reads order events (notification, admission) gives up on it and says so; this is
      // notification's letter.
      const letter = await eventually(
        async () => dead.find((m) => m.eventId === poisonId && /ticketing-notification$/.test(m.headers?.["consumer-group"] ?? "")),
        30_000,
        "notification's dead letter",
      );
      expect(letter.headers?.["error"]).toBeTruthy();
      expect(letter.headers?.["attempts"]).toBe("5");

      // The consumer moved on: a later order is still notified.
      const { ticketIds } = await createEventWith(t.admin, 5);
      const buyer = t.customer("after-poison@example.test");
      await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
      const { order } = await buyer.checkout.placeOrder({});
      await eventually(async () => (mails.some((m) => m.raw.includes(order!.id)) ? true : undefined), 20_000, "mail after the poison");
    } finally {
      await bus.close();
    }
  });
});
