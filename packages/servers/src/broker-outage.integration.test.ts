import { checkout, notification } from "@ticketing/sdk";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventWith, eventually, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// A Kafka broker of this file's own (its port, its data directory) is killed with SIGKILL for 15 s while the
// platform runs on it: the consumers must notice, say so through readiness, reconnect by themselves and deliver
// what was published meanwhile. No process restart.

const run = promisify(execFile);
const script = new URL("../../../scripts/kafka.sh", import.meta.url).pathname;
const port = 19_000 + Math.floor(Math.random() * 400) * 2;
let runDir: string;
let t: TestPlatform;

const kafka = (command: "start" | "stop") =>
  run(script, [command], { env: { ...process.env, TICKETING_KAFKA_PORT: String(port), TICKETING_KAFKA_RUN_DIR: runDir } });

const ready = async () => (await fetch(`${t.platform.url}/readyz`)).status;

beforeAll(async () => {
  runDir = await mkdtemp(join(tmpdir(), "ticketing-kafka-outage-"));
  await kafka("start");
  t = await startTestPlatform({
    env: {
      TICKETING_KAFKA_BROKERS: `127.0.0.1:${port}`,
      TICKETING_KAFKA_PARTITIONS: "3",
      TICKETING_KAFKA_SESSION_TIMEOUT_MS: "6000",
      TICKETING_EXPIRY_CRON: "0 0 0 1 1 *",
    },
  });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await kafka("stop").catch(() => undefined);
  await rm(runDir, { recursive: true, force: true });
}, 60_000);

async function paidOrder(buyer: string, ticketId: string): Promise<string> {
  const client = t.customer(buyer);
  await client.checkout.addToCart({ ticketId, quantity: 1 });
  const { order } = await client.checkout.placeOrder({});
  await t.admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `pay-${buyer}` });
  return order!.id;
}

const notified = async (orderId: string) =>
  (await t.admin.notifications.listNotifications({ orderId })).notifications.filter(
    (n) => n.orderEventType === checkout.OrderEventType.PAID && n.channel === notification.NotificationChannel.LOG,
  ).length;

describe("a broker outage", () => {
  it("consumers report it, reconnect by themselves and deliver what was published meanwhile", async () => {
    const { ticketIds } = await createEventWith(t.admin, 10);
    const before = await paidOrder("before", ticketIds[0]!);
    await eventually(async () => ((await notified(before)) === 1 ? true : undefined), 20_000, "notification before the outage");
    expect(await ready()).toBe(200);

    const pid = (await readFile(join(runDir, "broker.pid"), "utf8")).trim();
    process.kill(Number(pid), "SIGKILL");
    const killedAt = Date.now();
    // Orders still work while the broker is away: the events wait in the outbox.
    const during = await paidOrder("during", ticketIds[0]!);
    await eventually(async () => ((await ready()) === 503 ? true : undefined), 60_000, "readiness to report the lost consumer");
    const noticedAfter = Date.now() - killedAt;
    const body = await (await fetch(`${t.platform.url}/readyz`)).text();
    expect(body).toContain("consumer down");

    await new Promise((r) => setTimeout(r, Math.max(0, 15_000 - (Date.now() - killedAt))));
    await kafka("start");
    const restartedAt = Date.now();
    await eventually(async () => ((await ready()) === 200 ? true : undefined), 90_000, "readiness to recover");
    const recoveredAfter = Date.now() - restartedAt;
    await eventually(async () => ((await notified(during)) === 1 ? true : undefined), 60_000, "the outage's notification");
    const after = await paidOrder("after", ticketIds[0]!);
    await eventually(async () => ((await notified(after)) === 1 ? true : undefined), 30_000, "notification after the outage");
    expect(await notified(before)).toBe(1);
    console.log(
      `[broker outage] SIGKILL for 15 s: not ready after ${Math.round(noticedAfter / 1000)} s, ` +
        `ready again ${Math.round(recoveredAfter / 1000)} s after the restart, every notification delivered once`,
    );
  }, 240_000);
});
