import { Code, checkout, toTicketingError } from "@ticketing/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventWith, createTestDatabase, eventually, kafkaEnv, startTestPlatform, type TestDatabase, type TestPlatform } from "./testing/harness.js";

// GET /metrics scraped over plain HTTP/1.1, as Prometheus does, from a booking process and a process with the other
// three services, on real PostgreSQL and Kafka, after real calls.

const SECRET = { TICKETING_JWT_SECRET: "metrics-tests-share-one-secret-0123456789" };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(url: string): Promise<{ contentType: string; samples: Sample[] }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return { contentType: res.headers.get("content-type") ?? "", samples };
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

describe("Prometheus metrics on /metrics", () => {
  const env = { ...kafkaEnv(), ...SECRET };
  let db: TestDatabase;
  let bookingSvc: TestPlatform;
  let rest: TestPlatform;

  beforeAll(async () => {
    db = await createTestDatabase();
    bookingSvc = await startTestPlatform({
      db,
      services: ["booking"],
      env: { ...env, TICKETING_HOLD_TTL: "3s", TICKETING_EXPIRY_CRON: "* * * * * *" },
    });
    rest = await startTestPlatform({
      db,
      services: ["event", "checkout", "notification"],
      env: { ...env, TICKETING_BOOKING_URL: bookingSvc.platform.url },
    });
  });
  afterAll(async () => {
    await rest?.close();
    await bookingSvc?.close();
    await db?.drop();
  });

  it("counts calls, orders, refusals, sweeps and publications, with no id in any label", async () => {
    const before = (await scrape(rest.platform.url)).samples;
    const placedBefore = value(before, "ticketing_rpc_requests_total", { service: "checkout", method: "PlaceOrder", code: "OK" });

    const { ticketIds } = await createEventWith(rest.admin, 3);
    const ticketId = ticketIds[0] as string;
    const alice = rest.customer("alice");
    await alice.checkout.addToCart({ ticketId, quantity: 2 });
    const { order: paid } = await alice.checkout.placeOrder({});
    await rest.admin.checkout.markOrderAsPaid({ orderId: paid!.id, paymentReference: "psp-metrics" });
    const bob = rest.customer("bob");
    await bob.checkout.addToCart({ ticketId, quantity: 1 });
    const { order: unpaid } = await bob.checkout.placeOrder({});
    // Sold out now: carol's order is refused, by booking first and then from checkout's memory.
    const carol = rest.customer("carol");
    for (let i = 0; i < 2; i++) {
      const refused = await carol.checkout.addToCart({ ticketId, quantity: 1 }).then(
        async () => carol.checkout.placeOrder({}).then(() => undefined, (err: unknown) => err),
        (err: unknown) => err,
      );
      expect(toTicketingError(refused).code).toBe(Code.ResourceExhausted);
    }
    await eventually(async () => {
      const { order } = await bob.checkout.getOrder({ orderId: unpaid!.id });
      return order?.status === checkout.OrderStatus.EXPIRED ? order : undefined;
    }, 20_000, "bob's order to expire");

    const ids = [paid!.id, unpaid!.id, ticketId, "alice", "bob", "carol"];
    const restMetrics = await eventually(async () => {
      const scraped = await scrape(rest.platform.url);
      // The notification consumer has committed what it read, so its lag is known; every change is notified.
      const lags = scraped.samples.filter((s) => s.name === "ticketing_consumer_lag" && s.labels["group"] === "ticketing-notification");
      return lags.length > 0 && lags.every((l) => l.value === 0) && value(scraped.samples, "ticketing_outbox_pending", { service: "checkout" }) === 0 ? scraped : undefined;
    }, 20_000, "the checkout outbox to drain and the notification consumer to commit");
    const s = restMetrics.samples;
    expect(restMetrics.contentType).toMatch(/^text\/plain/);

    expect(value(s, "ticketing_rpc_requests_total", { service: "checkout", method: "PlaceOrder", code: "OK" }) - placedBefore).toBe(2);
    expect(value(s, "ticketing_rpc_requests_total", { service: "checkout", method: "MarkOrderAsPaid", code: "OK" })).toBeGreaterThanOrEqual(1);
    const refusals = ["AddToCart", "PlaceOrder"].map((method) => value(s, "ticketing_rpc_requests_total", { service: "checkout", method, code: "ResourceExhausted" }));
    expect(refusals[0]! + refusals[1]!).toBeGreaterThanOrEqual(2);
    expect(value(s, "ticketing_sold_out_rejections_total", { service: "checkout" })).toBeGreaterThanOrEqual(2);
    expect(value(s, "ticketing_rpc_duration_seconds_count", { service: "checkout", method: "PlaceOrder" })).toBeGreaterThanOrEqual(2);
    expect(value(s, "ticketing_rpc_duration_seconds_bucket", { service: "checkout", method: "PlaceOrder", le: "+Inf" })).toBe(
      value(s, "ticketing_rpc_duration_seconds_count", { service: "checkout", method: "PlaceOrder" }),
    );
    expect(value(s, "ticketing_orders_total", { status: "PENDING_PAYMENT" })).toBe(2);
    expect(value(s, "ticketing_orders_total", { status: "PAID" })).toBe(1);
    expect(value(s, "ticketing_orders_total", { status: "EXPIRED" })).toBe(1);
    // PLACED, PAID, PLACED, EXPIRED from checkout. Event and notification publish nothing, so no relay watches them.
    expect(value(s, "ticketing_outbox_published_total", { service: "checkout" })).toBeGreaterThanOrEqual(4);
    expect(s.some((x) => x.name === "ticketing_outbox_oldest_seconds" && x.labels["service"] === "checkout")).toBe(true);
    expect(s.some((x) => x.name === "ticketing_outbox_pending" && x.labels["service"] === "event")).toBe(false);
    for (const service of ["event", "checkout", "notification"]) {
      expect(s.some((x) => x.name === "ticketing_db_pool_in_use" && x.labels["service"] === service), service).toBe(true);
      expect(s.some((x) => x.name === "ticketing_db_pool_waiting" && x.labels["service"] === service), service).toBe(true);
    }
    const lags = s.filter((x) => x.name === "ticketing_consumer_lag");
    expect(lags.every((x) => x.labels["topic"]?.startsWith("ticketing.") && /^\d+$/.test(x.labels["partition"] ?? ""))).toBe(true);
    // prom-client's Node runtime metrics, under the same prefix.
    expect(s.some((x) => x.name === "ticketing_process_cpu_user_seconds_total")).toBe(true);
    expect(s.some((x) => x.name === "ticketing_nodejs_eventloop_lag_p99_seconds")).toBe(true);
    expect(s.some((x) => x.name === "ticketing_nodejs_heap_size_used_bytes")).toBe(true);

    const b = (await scrape(bookingSvc.platform.url)).samples;
    expect(value(b, "ticketing_rpc_requests_total", { service: "booking", method: "CreateBooking", code: "OK" })).toBeGreaterThanOrEqual(2);
    expect(value(b, "ticketing_rpc_requests_total", { service: "booking", method: "CreateBooking", code: "ResourceExhausted" })).toBeGreaterThanOrEqual(1);
    expect(value(b, "ticketing_sold_out_rejections_total", { service: "booking" })).toBeGreaterThanOrEqual(1);
    expect(value(b, "ticketing_hold_sweeps_total")).toBeGreaterThan(0);
    expect(value(b, "ticketing_holds_expired_total")).toBe(1);
    expect(value(b, "ticketing_outbox_published_total", { service: "booking" })).toBeGreaterThanOrEqual(3);

    // Bounded cardinality: no label carries an order, ticket or user id, nor anything shaped like a uuid.
    for (const sample of [...s, ...b]) {
      for (const [label, v] of Object.entries(sample.labels)) {
        expect(ids.some((id) => v.includes(id)), `${sample.name}{${label}="${v}"}`).toBe(false);
        expect(v, `${sample.name}{${label}}`).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/i);
      }
    }
    const series = new Set([...s, ...b].filter((x) => x.name.startsWith("ticketing_rpc_")).map((x) => JSON.stringify(x.labels)));
    expect(series.size).toBeLessThan(400);
  });
});
