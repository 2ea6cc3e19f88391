// Replicas on one machine (`make replicas`): two processes of each of the five services on PostgreSQL and Kafka,
// 500 buyers spread over both checkout replicas, one replica of each service killed (kill -9) in the middle of the
// on-sale, and the survivors left to finish it. Then, from the database, Kafka and the processes' own /metrics:
// exactly the capacity sold, every order final, one notification per order change, and the expiry sweeps and outbox
// relays of the replicas sharing the work without doing any of it twice. Prints the verdicts; exits 1 on a failure.
//   node packages/servers/dist/faults/replicas.js [--buyers 500] [--capacity 400] [--kill-after 10] [--hold-ttl 15]
import { fromBinary } from "@bufbuild/protobuf";
import { booking as bookingPb, createTicketingClient } from "@ticketing/sdk";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  KAFKA_BROKERS,
  REPO_ROOT,
  createDatabase,
  deleteKafkaNamespace,
  freePort,
  mintToken,
  positiveFlag,
  runNode,
  serverEnv,
  serviceSpawns,
  serviceUrls,
  sleep,
  startAll,
  type Database,
  type Proc,
  type ServicePlan,
} from "../bench/onsale-infra.js";
import { TOPICS, type BusMessage } from "../platform/bus.js";
import { KafkaBus } from "../platform/kafka-bus.js";
import { createLogger } from "../platform/logger.js";
import { consumerLag, notificationFigures, orderFigures, outboxPending, overdueHolds, statusesOf, stockRows, stockVerdicts, type Verdict } from "./checks.js";
import { Load } from "./load.js";
import { MAIN, SERVICES, newSecret } from "./platform.js";

/** Every service the platform runs, the admission service included (the fault-injection suite runs the first four). */
const ALL_SERVICES = [...SERVICES, "admission"] as const;
const HONEST_CODES = new Set(["UNAVAILABLE", "DEADLINE_EXCEEDED", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED"]);
const GRACE_SECONDS = 30;
/**
 * How long the survivors get to finish every order once the buyers stop: orders the killed checkout left PLACING
 * and no buyer retried are failed by the survivor's stale-placement job, two minutes after they were placed.
 */
const SETTLE_MS = 150_000;

const { values: flags } = parseArgs({
  options: {
    buyers: { type: "string", default: "500" },
    capacity: { type: "string", default: "400" },
    "kill-after": { type: "string", default: "10" },
    "hold-ttl": { type: "string", default: "15" },
    "sell-out-within": { type: "string", default: "360" },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log(`usage: node packages/servers/dist/faults/replicas.js [options]   (make replicas ARGS="...")
  --buyers <n>           concurrent buyers, spread over both checkout replicas (default 500)
  --capacity <n>         seats on sale, over three ticket types (default 400)
  --kill-after <s>       load before one replica of each service is killed (at least TTL + 5 s), once a quarter
                         is sold (default 10)
  --hold-ttl <s>         TICKETING_HOLD_TTL of the services (default 15)
  --sell-out-within <s>  how long the survivors get to sell every seat (default 360)`);
  process.exit(0);
}
const positive = (name: string, raw: string | undefined) => Math.floor(positiveFlag("replicas", name, raw));
const opts = {
  buyers: positive("buyers", flags.buyers),
  capacity: positive("capacity", flags.capacity),
  killAfterMs: positive("kill-after", flags["kill-after"]) * 1000,
  ttl: positive("hold-ttl", flags["hold-ttl"]),
  sellOutMs: positive("sell-out-within", flags["sell-out-within"]) * 1000,
};

type Metrics = Map<string, number>;

/** A process's /metrics as `name{labels}` → value (nothing if it does not answer). */
async function scrape(url: string): Promise<Metrics | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
    const text = await res.text();
    const out: Metrics = new Map();
    for (const line of text.split("\n")) {
      if (line.startsWith("#") || line === "") continue;
      const at = line.lastIndexOf(" ");
      out.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Every message on the namespace's topic, read from the start by a group of its own: event id → deliveries. */
async function deliveries(namespace: string, topic: string, expected: number): Promise<Map<string, number>> {
  const bus = await KafkaBus.connect({ brokers: KAFKA_BROKERS.split(","), clientId: "replicas-audit", logger: createLogger("silent"), namespace });
  const seen = new Map<string, number>();
  let count = 0;
  try {
    await bus.subscribe({
      topic,
      group: `replicas-audit-${randomBytes(4).toString("hex")}`,
      handle: async (m: BusMessage) => {
        count++;
        seen.set(m.eventId, (seen.get(m.eventId) ?? 0) + 1);
      },
    });
    for (const until = Date.now() + 60_000; count < expected && Date.now() < until; ) await sleep(200);
  } finally {
    await bus.close();
  }
  return seen;
}

async function main(): Promise<number> {
  const started = Date.now();
  const logDir = join(REPO_ROOT, ".run/replicas/logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const db: Database = await createDatabase("ticketing_replicas");
  const namespace = `replicas-${randomBytes(4).toString("hex")}.`;
  const secret = newSecret();
  const procs = new Map<string, Proc>();
  let cleaning: Promise<void> | undefined;
  /** Stops everything this run started, once, whatever happened (also on SIGINT / SIGTERM, as from `timeout`). */
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await Promise.all([...procs.values()].map((p) => p.stop()));
      await db.drop().catch((err: unknown) => console.log(`  (could not drop ${db.name}: ${String(err)})`));
      await deleteKafkaNamespace(namespace).catch(() => undefined);
    })());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nreplicas: ${signal}, cleaning up\n`);
      void cleanUp().then(() => process.exit(130));
    });
  }
  const verdicts: Verdict[] = [];
  const verdict = (check: string, ok: boolean, detail: string) => verdicts.push({ check, ok, detail });
  try {
    const plan: ServicePlan[] = [];
    for (const service of ALL_SERVICES) for (const n of [1, 2]) plan.push({ name: `${service}-${n}`, service, port: await freePort() });
    const env = serverEnv({
      TICKETING_DATABASE_URL: db.url,
      TICKETING_JWT_SECRET: secret,
      TICKETING_KAFKA_BROKERS: KAFKA_BROKERS,
      TICKETING_KAFKA_NAMESPACE: namespace,
      TICKETING_KAFKA_PARTITIONS: "6",
      TICKETING_KAFKA_SESSION_TIMEOUT_MS: "6000",
      TICKETING_HOLD_TTL: `${opts.ttl}s`,
      TICKETING_EXPIRY_CRON: "* * * * * *",
      TICKETING_LOG_LEVEL: "warn",
    });
    const spawns = serviceSpawns(MAIN, plan, env, logDir);
    await runNode([MAIN, "migrate"], spawns[0]!.env);
    // In two waves (first replicas, then second ones): ten Node processes starting at once on two cores can take
    // longer than the minute each is given to be ready.
    for (const wave of ["-1", "-2"]) {
      for (const p of await startAll(spawns.filter((s) => s.name.endsWith(wave)))) procs.set(p.name, p);
    }
    const urls = serviceUrls(plan);
    console.log(`replicas: ${plan.map((p) => `${p.name} :${p.port}`).join(", ")}; Kafka namespace ${namespace}; logs in ${logDir}`);

    const admin = createTicketingClient({ baseUrl: urls.event[0]!, token: await mintToken(secret, "replicas-admin", "admin"), protocol: "grpc" });
    const now = Math.floor(Date.now() / 1000);
    // Three ticket types, as in the suite above: the buyers' pattern then asks every type for one ticket and for two,
    // so the last seat of any type can be sold.
    const third = Math.floor(opts.capacity / 3);
    const { event } = await admin.events.createEvent({
      name: `Replicas ${randomBytes(3).toString("hex")}`,
      startsAt: { seconds: BigInt(now + 86_400) },
      endsAt: { seconds: BigInt(now + 90_000) },
      venue: { name: "Hall", location: "Berlin" },
      ticketTypes: [
        { name: "Standing", price: { amountMinor: 2500n, currency: "EUR" }, capacity: third },
        { name: "Seated", price: { amountMinor: 5000n, currency: "EUR" }, capacity: third },
        { name: "Box", price: { amountMinor: 7500n, currency: "EUR" }, capacity: opts.capacity - 2 * third },
      ],
    });
    if (!event) throw new Error("CreateEvent returned no event");
    const eventId = event.id;

    // Each process's counters, as last seen: a killed replica's are the ones it showed just before it died.
    const lastSeen = new Map<string, Metrics>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        await Promise.all(
          [...procs.values()].map(async (p) => {
            const m = await scrape(p.url);
            if (m) lastSeen.set(p.name, m);
          }),
        );
        await sleep(500);
      }
    })();

    const load = new Load({ checkoutUrl: urls.checkout, secret, ticketIds: event.ticketTypes.map((t) => t.id), buyers: opts.buyers, label: "replicas" });
    const loadFrom = Date.now();
    await load.start();
    const soldAt = async () => {
      const { rows } = await db.client.query<{ sold: string; held: string }>(
        "select coalesce(sum(sold), 0) as sold, coalesce(sum(held), 0) as held from booking.stock where event_id = $1::uuid",
        [eventId],
      );
      return { sold: Number(rows[0]?.sold ?? 0), held: Number(rows[0]?.held ?? 0) };
    };
    // Mid-run: once a quarter of the seats is sold, after at least `--kill-after` seconds of load and never before
    // the first holds have fallen due (TTL + 5 s), so both booking replicas have had expiries to share.
    await sleep(Math.max(opts.killAfterMs, (opts.ttl + 5) * 1000));
    for (const until = Date.now() + opts.sellOutMs / 2; (await soldAt()).sold < opts.capacity / 4 && Date.now() < until; ) await sleep(500);
    const beforeKill = await soldAt();
    const victims = ALL_SERVICES.map((s) => `${s}-2`);
    for (const name of victims) {
      const m = await scrape(procs.get(name)!.url);
      if (m) lastSeen.set(name, m);
    }
    const killedAt = Date.now();
    await Promise.all(
      victims.map(async (name) => {
        const proc = procs.get(name)!;
        process.kill(proc.pid, "SIGKILL");
        await proc.exited;
        procs.delete(name);
      }),
    );
    console.log(
      `killed ${victims.join(", ")} (kill -9) ${((killedAt - loadFrom) / 1000).toFixed(1)} s into the on-sale, with ${beforeKill.sold} sold and ${beforeKill.held} held of ${opts.capacity}`,
    );

    // The survivors sell the rest: every seat paid for (unpaid holds come back when they expire or are cancelled).
    let stock = await soldAt();
    for (const until = Date.now() + opts.sellOutMs; stock.sold < opts.capacity && Date.now() < until; await sleep(1000)) stock = await soldAt();
    const soldOutS = (Date.now() - loadFrom) / 1000;
    await load.stop();
    const loadTo = Date.now();
    console.log(`on-sale over after ${soldOutS.toFixed(1)} s: ${stock.sold} of ${opts.capacity} sold; the buyers stopped ${((loadTo - loadFrom) / 1000).toFixed(1)} s in`);

    // Settle: every order final, nothing left in an outbox or a consumer group, every order change notified.
    const deadline = loadTo + SETTLE_MS;
    for (;;) {
      const figures = await orderFigures(db, eventId, opts.ttl, GRACE_SECONDS);
      const unfinished = (figures.byStatus["PLACING"] ?? 0) + (figures.byStatus["PENDING_PAYMENT"] ?? 0);
      const pending = Object.values(await outboxPending(db)).reduce((a, b) => a + b, 0);
      const lag = await consumerLag(KAFKA_BROKERS, namespace).then(
        (l) => Object.values(l.byGroup).reduce((a, b) => a + b, 0),
        () => 1,
      );
      const notes = await notificationFigures(db, eventId);
      if (unfinished + pending + lag + notes.missing === 0) break;
      if (Date.now() > deadline) break;
      await sleep(1000);
    }
    await sleep(1500);
    watching = false;
    await watch;
    console.log(`settled ${((Date.now() - loadTo) / 1000).toFixed(1)} s after the buyers stopped`);

    // Sold: exactly the capacity, and the stock agrees with the holds and the paid orders.
    stock = await soldAt();
    verdict("exactly the capacity sold", stock.sold === opts.capacity && stock.held === 0, `sold ${stock.sold} of ${opts.capacity}, ${stock.held} held`);
    const bookingAdmin = createTicketingClient({ baseUrl: urls.booking[0]!, token: await mintToken(secret, "replicas-admin", "admin"), protocol: "grpc" });
    verdicts.push(...stockVerdicts(await stockRows(db, bookingAdmin, eventId)));
    const overdue = await overdueHolds(db, 5);
    verdict("no hold overdue", overdue === 0, `${overdue} HELD bookings more than 5 s past their expiry`);

    // Orders
    const figures = await orderFigures(db, eventId, opts.ttl, GRACE_SECONDS);
    const final = ["PAID", "CANCELLED", "EXPIRED", "FAILED"].reduce((n, s) => n + (figures.byStatus[s] ?? 0), 0);
    verdict(
      "every order final",
      final === figures.orders && figures.orders > 0,
      `${figures.orders} orders: ${Object.entries(figures.byStatus).map(([s, n]) => `${s} ${n}`).join(", ")}; ` +
        `${figures.stuck.length} became final more than TTL + ${GRACE_SECONDS} s after they were placed (behind the consumers' backlog, or left PLACING by the killed checkout)`,
    );
    const told = await statusesOf(db, [...load.paid, ...load.cancelled]);
    const wrong = [...load.paid].filter((id) => told.get(id) !== "PAID").length + [...load.cancelled].filter((id) => told.get(id) !== "CANCELLED").length;
    verdict("acknowledged outcomes kept", wrong === 0, `${load.paid.size} payments and ${load.cancelled.size} cancellations confirmed to buyers; ${wrong} not as told`);
    const dishonest = [...load.errors.entries()].flatMap(([rpc, codes]) =>
      [...codes.entries()].filter(([code]) => !HONEST_CODES.has(code)).map(([code, n]) => `${rpc} ${code} ${n}`),
    );
    const errors = [...load.errors.entries()].flatMap(([rpc, codes]) => [...codes.entries()].map(([code, n]) => `${rpc} ${code} ${n}`));
    verdict("client-visible errors honest", dishonest.length === 0, dishonest.length === 0 ? `only ${[...HONEST_CODES].join(", ")}: ${errors.join(", ") || "none"}` : dishonest.join(", "));

    // Events and notifications
    const notes = await notificationFigures(db, eventId);
    verdict(
      "one notification per order change",
      notes.missing === 0 && notes.duplicates === 0 && notes.unexpected === 0 && notes.notifications === notes.events,
      `${notes.events} order events, ${notes.notifications} notifications; ${notes.missing} missing, ${notes.duplicates} duplicate, ${notes.unexpected} unexpected`,
    );
    const pending = await outboxPending(db);
    const lag = await consumerLag(KAFKA_BROKERS, namespace);
    verdict(
      "outboxes and consumer groups drained",
      Object.values(pending).every((n) => n === 0) && Object.values(lag.byGroup).every((n) => n === 0) && lag.deadLetters === 0,
      `unpublished ${Object.entries(pending).map(([s, n]) => `${s} ${n}`).join(", ")}; lag ${Object.entries(lag.byGroup).map(([g, n]) => `${g} ${n}`).join(", ")}; ${lag.deadLetters} dead letters`,
    );

    // Expiry sweeps: both booking replicas expired holds, and no hold was expired twice — each EXPIRED booking is in
    // exactly one EXPIRED event.
    const counter = (name: string, metric: string) => lastSeen.get(name)?.get(metric) ?? 0;
    const expiredBy = ["booking-1", "booking-2"].map((n) => counter(n, "ticketing_holds_expired_total"));
    const { rows: expiredRows } = await db.client.query<{ id: string }>(
      "select id from booking.booking where status = 'EXPIRED' and ticket_id in (select ticket_id from booking.stock where event_id = $1::uuid)",
      [eventId],
    );
    const { rows: expiredEvents } = await db.client.query<{ payload: Buffer }>(
      "select payload from booking.outbox where type = 'BOOKING_EVENT_TYPE_EXPIRED'",
    );
    const inEvents = new Map<string, number>();
    for (const e of expiredEvents) {
      for (const b of fromBinary(bookingPb.BookingEventSchema, e.payload).bookings) inEvents.set(b.id, (inEvents.get(b.id) ?? 0) + 1);
    }
    const twice = [...inEvents.values()].filter((n) => n > 1).length;
    const missingEvent = expiredRows.filter((r) => !inEvents.has(r.id)).length;
    verdict(
      "expiry sweeps shared, none twice",
      expiredBy.every((n) => n > 0) && twice === 0 && missingEvent === 0 && inEvents.size === expiredRows.length,
      `holds expired by booking-1 ${expiredBy[0]}, booking-2 ${expiredBy[1]} (until killed); ${expiredRows.length} EXPIRED bookings, ${inEvents.size} in EXPIRED events, ${twice} in two, ${missingEvent} in none`,
    );

    // Outbox relays: one publisher per schema at a time (an advisory lock), the other replica standing by and taking
    // over when the lock is free, so the work is spread over the processes rather than split within a schema: both
    // replicas published (over all schemas), and Kafka holds each event once — except events a relay had sent in a
    // pass the kill cut short (its marks rolled back, so the survivor sent them again: at least once, absorbed by the
    // consumers' deduplication). Those were all published after the kill.
    const publishedBy = (service: string) => [1, 2].map((n) => counter(`${service}-${n}`, `ticketing_outbox_published_total{service="${service}"}`));
    const shared = ALL_SERVICES.map((s) => ({ service: s, by: publishedBy(s) }));
    const byReplica = [0, 1].map((i) => shared.reduce((sum, s) => sum + (s.by[i] ?? 0), 0));
    const replays: string[] = [];
    let sentTwiceBeforeKill = 0;
    for (const [schema, topic] of [
      ["checkout", TOPICS.orderEvents],
      ["booking", TOPICS.bookingEvents],
    ] as const) {
      const { rows } = await db.client.query<{ event_id: string; published_at: Date }>(`select event_id, published_at from ${schema}.outbox`);
      const seen = await deliveries(namespace, topic, lag.published[topic] ?? rows.length);
      const twiceSent = rows.filter((r) => (seen.get(r.event_id) ?? 0) > 1);
      const never = rows.filter((r) => !seen.has(r.event_id)).length;
      sentTwiceBeforeKill += twiceSent.filter((r) => r.published_at.getTime() < killedAt - 1000).length;
      replays.push(`${schema}: ${rows.length} events, ${seen.size} on Kafka, ${never} never sent, ${twiceSent.length} sent twice (replayed after the kill)`);
      if (never > 0) sentTwiceBeforeKill += never;
    }
    verdict(
      "outbox relays shared, none twice",
      byReplica.every((n) => n > 0) && sentTwiceBeforeKill === 0,
      `published by replica 1 + replica 2 (until killed): ${shared.map((s) => `${s.service} ${s.by.join(" + ")}`).join(", ")}; ${replays.join("; ")}`,
    );

    // The survivors serve: every process still running is ready.
    const ready = await Promise.all([...procs.values()].map((p) => fetch(`${p.url}/readyz`).then((r) => r.status === 200, () => false)));
    verdict("survivors ready", ready.every(Boolean) && procs.size === ALL_SERVICES.length, `${[...procs.keys()].join(", ")}: ${ready.filter(Boolean).length} of ${procs.size} ready`);
  } catch (err) {
    verdict("run completed", false, err instanceof Error ? err.message : String(err));
  } finally {
    await cleanUp();
  }

  const width = Math.max(...verdicts.map((v) => v.check.length));
  console.log("");
  for (const v of verdicts) console.log(`${v.ok ? "PASS" : "FAIL"}  ${v.check.padEnd(width)}  ${v.detail}`);
  const failed = verdicts.filter((v) => !v.ok);
  console.log(`\nreplicas: ${failed.length === 0 ? "PASS" : `FAIL (${failed.map((v) => v.check).join(", ")})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failed.length === 0 ? 0 : 1;
}

process.exit(await main());
