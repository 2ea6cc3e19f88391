// The on-sale benchmark: many buyers after one ticket type, on real PostgreSQL and Kafka, against server processes
// started as an operator would start them, driven by the Go load driver in bench/driver (cheap on CPU, so the
// figures are the servers'). Prints figures; asserts nothing. docs/benchmarks.md explains how to read them.
//   node packages/servers/dist/bench/onsale.js [--scenarios ceilings,allinone,separate,naive,holds,buckets] [--repeat 3]
//     [--duration 30] [--seats N] [--sold-out 5] [--root <checkout>] [--profile]
import { toBinary, create } from "@bufbuild/protobuf";
import { createTicketingClient, event as eventPb } from "@ticketing/sdk";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  KAFKA_BROKERS,
  REPO_ROOT,
  commitOf,
  cpuBetween,
  createDatabase,
  deleteKafkaNamespace,
  describeMachine,
  freePort,
  kafkaPid,
  mintToken,
  positiveFlag,
  postgresGroup,
  runDriver,
  runNode,
  sampleCpu,
  serverEnv,
  serviceSpawns,
  serviceUrls,
  sleep,
  startAll,
  startProc,
  type CpuGroup,
  type CpuSample,
  type CpuUse,
  type Database,
  type DriverEvent,
  type Proc,
  type ServicePlan,
} from "./onsale-infra.js";
import { pidOfProfile, profileFiles, renderSummary, summarizeFile } from "./profile-summary.js";

const SCENARIOS = ["ceilings", "allinone", "separate", "naive", "holds", "buckets"] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: flags } = parseArgs({
  options: {
    scenarios: { type: "string", default: SCENARIOS.join(",") },
    repeat: { type: "string", default: "3" },
    duration: { type: "string", default: "30" },
    seats: { type: "string" },
    "sold-out": { type: "string", default: "5" },
    "getevent-seconds": { type: "string", default: "10" },
    conns: { type: "string", default: "32" },
    "deadline-ms": { type: "string", default: "10000" },
    root: { type: "string" },
    profile: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) {
  console.log(`usage: node packages/servers/dist/bench/onsale.js [options]   (make bench-onsale ARGS="...")
  --scenarios <list>     any of ${SCENARIOS.join(",")} (default: all; holds = CreateBooking alone, batched vs naive)
  --repeat <n>           runs per scenario; the median is reported (default 3)
  --duration <s>         cap of an on-sale phase that does not sell out (default 30)
  --seats <n>            seats of every on-sale (default 20000 for 300 buyers, 4000 for 30)
  --sold-out <s>         how long buyers keep asking once sold out (default 5)
  --getevent-seconds <s> measured window of GetEvent, after 3 s of warm-up (default 10)
  --conns <n>            HTTP/2 connections the driver spreads its callers over (default 32)
  --deadline-ms <ms>     deadline of every driver call (default 10000)
  --root <dir>           run the servers of another (built) checkout, e.g. an older commit
  --profile              --cpu-prof every server process and print where its time went`);
  process.exit(0);
}

const positive = (name: string, raw: string | undefined) => positiveFlag("onsale", name, raw);
const scenarios = (flags.scenarios ?? "").split(",").map((s) => s.trim()).filter(Boolean);
for (const s of scenarios) {
  if (!(SCENARIOS as readonly string[]).includes(s)) {
    process.stderr.write(`onsale: unknown scenario "${s}" (known: ${SCENARIOS.join(", ")})\n`);
    process.exit(2);
  }
}
const opts = {
  scenarios: scenarios as Scenario[],
  repeat: Math.floor(positive("repeat", flags.repeat)),
  durationSeconds: positive("duration", flags.duration),
  seats: flags.seats === undefined ? undefined : Math.floor(positive("seats", flags.seats)),
  soldOutSeconds: positive("sold-out", flags["sold-out"]),
  getEventSeconds: positive("getevent-seconds", flags["getevent-seconds"]),
  conns: Math.floor(positive("conns", flags.conns)),
  deadlineMs: Math.floor(positive("deadline-ms", flags["deadline-ms"])),
  profile: flags.profile ?? false,
};
const SERVERS_ROOT = resolve(flags.root ?? REPO_ROOT);
const MAIN = join(SERVERS_ROOT, "packages/servers/dist/main.js");
const CEILINGS = join(SERVERS_ROOT, "packages/servers/dist/bench/ceilings.js");
if (!existsSync(MAIN)) {
  process.stderr.write(`onsale: ${MAIN} does not exist: build that checkout first (make build)\n`);
  process.exit(2);
}
const GETEVENT_CALLERS = 300;
const seatsFor = (buyers: number) => opts.seats ?? (buyers >= 300 ? 20_000 : 4_000);

// Everything a run started, so Ctrl-C still stops the servers and drops the database.
const cleanups = new Set<() => Promise<void>>();
process.once("SIGINT", () => {
  process.stderr.write("\nonsale: interrupted, cleaning up\n");
  void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
});

// ---------------------------------------------------------------------------------------------------------------
// What the driver reports (bench/driver, JSON)

interface RpcReport {
  calls: number;
  codes: Record<string, number>;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}
type OnsaleRpc = "AddToCart" | "PlaceOrder" | "UpdateCart";
interface OnsaleResult {
  buyers: number;
  capacity: number;
  soldOut: boolean;
  capHit: boolean;
  reason?: string;
  drainedMs: number;
  onsale: {
    wallMs: number;
    rpcs: Record<OnsaleRpc, RpcReport>;
    orders: number;
    tickets: number;
    placeOrdersPerSec: number;
    ticketsPerSec: number;
  };
  soldOutPhase?: {
    wallMs: number;
    rpcs: Record<OnsaleRpc, RpcReport>;
    requests: number;
    rejections: number;
    requestsPerSec: number;
    rejectionsPerSec: number;
  };
  totalOrders: number;
  totalTickets: number;
  driverCpuUsPerCall: number;
}
interface HoldsResult extends RpcReport {
  wallMs: number;
  holds: number;
  tickets: number;
  holdsPerSec: number;
  soldOut: boolean;
  driverCpuUsPerCall: number;
}

interface HoldsFigures {
  result: HoldsResult;
  cpu: CpuUse[];
}

interface UnaryResult extends RpcReport {
  measuredMs: number;
  completed: number;
  callsPerSec: number;
  driverCpuUsPerCall: number;
}

// ---------------------------------------------------------------------------------------------------------------
// What a run measures

interface Oversell {
  total: number;
  held: number;
  sold: number;
  /** Tickets in PENDING_PAYMENT or PAID orders, from the database. */
  placedTickets: number;
  /** Orders still PLACING when the check ran (their holds may or may not exist yet). */
  placing: number;
  /** Units HELD by bookings of those PLACING orders: taken from the stock, not yet in a placed order. */
  placingHeld: number;
  pass: boolean;
}

interface SoldOutFigures {
  result: NonNullable<OnsaleResult["soldOutPhase"]>;
  reason: string;
  atMs: number;
  inFlight: number;
  rowsWritten: Record<string, number>;
  cpu: CpuUse[];
  driverCpuUsPerCall: number;
  /** Measured on a small extra event because the main on-sale hit its cap before selling out. */
  probe: boolean;
}

interface OnsaleFigures {
  buyers: number;
  seats: number;
  result: OnsaleResult;
  cpu: CpuUse[];
  cpuSeconds: number;
  oversell: Oversell;
  inFlightAtSwitch: number;
}

interface UnaryFigures {
  result: UnaryResult;
  cpu: CpuUse[];
}

/** One line of the summary: a scenario (and variant) at one buyer count, from one run. */
interface Row {
  scenario: Scenario;
  variant: string;
  buyers: number;
  onsale?: OnsaleFigures;
  getEvent?: UnaryFigures;
  soldOut?: SoldOutFigures;
  holds?: HoldsFigures;
}

/** What a measurement needs from the run it is part of. */
interface RunContext {
  db: Database;
  secret: string;
  eventUrl: string;
  checkoutUrl: string;
  groups: CpuGroup[];
  setDriverPid(pid: number | undefined): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Topologies

type Topology = "allinone" | "separate" | "buckets";

function onsaleEnv(db: Database, secret: string, namespace: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return serverEnv({
    TICKETING_DATABASE_URL: db.url,
    TICKETING_JWT_SECRET: secret,
    TICKETING_KAFKA_BROKERS: KAFKA_BROKERS,
    TICKETING_KAFKA_NAMESPACE: namespace,
    TICKETING_LOG_LEVEL: "warn",
    ...extra,
  });
}

async function startServers(
  topology: Topology,
  env: NodeJS.ProcessEnv,
  logDir: string,
  profileDir: string | undefined,
): Promise<{ procs: Proc[]; eventUrl: string; checkoutUrl: string }> {
  // Once, before any server starts: several processes migrating one database at once would race.
  await runNode([MAIN, "migrate"], env);
  const nodeArgs = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const plan: ServicePlan[] = [];
  if (topology === "allinone") {
    plan.push({ name: "all", service: "all", port: await freePort() });
  } else {
    plan.push({ name: "booking", service: "booking", port: await freePort() });
    if (topology === "buckets") plan.push({ name: "booking-2", service: "booking", port: await freePort() });
    for (const service of ["event", "checkout", "notification"]) plan.push({ name: service, service, port: await freePort() });
  }
  const procs = await startAll(serviceSpawns(MAIN, plan, env, logDir, nodeArgs));
  const urls = serviceUrls(plan);
  return { procs, eventUrl: urls.event[0] as string, checkoutUrl: urls.checkout[0] as string };
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements

async function createOnsaleEvent(ctx: RunContext, seats: number, stockBuckets?: number): Promise<{ eventId: string; ticketId: string }> {
  const admin = createTicketingClient({
    baseUrl: ctx.eventUrl,
    token: await mintToken(ctx.secret, "bench-admin", "admin"),
    protocol: "grpc",
    timeoutMs: 30_000,
  });
  const now = Math.floor(Date.now() / 1000);
  const { event } = await admin.events.createEvent({
    name: `On-sale ${randomBytes(3).toString("hex")}`,
    startsAt: { seconds: BigInt(now + 30 * 86_400) },
    endsAt: { seconds: BigInt(now + 30 * 86_400 + 4 * 3600) },
    venue: { name: "Arena", location: "Berlin" },
    ticketTypes: [
      { name: "General admission", price: { amountMinor: 5000n, currency: "EUR" }, capacity: seats, ...(stockBuckets ? { stockBuckets } : {}) },
    ],
  });
  const ticketId = event?.ticketTypes[0]?.id;
  if (!event || !ticketId) throw new Error("CreateEvent returned no ticket type");
  return { eventId: event.id, ticketId };
}

/**
 * Lets the previous measurement's leftovers finish before the next starts: unpublished outbox rows (the relays
 * would otherwise publish them during the next window) and orders still PLACING.
 */
async function settle(db: Database): Promise<void> {
  for (const until = Date.now() + 30_000; Date.now() < until; ) {
    const pending = await db.client
      .query<{ n: string }>(
        `select (select count(*) from booking.outbox where published_at is null)
              + (select count(*) from checkout.outbox where published_at is null)
              + (select count(*) from checkout."order" where status = 'PLACING') as n`,
      )
      .then((r) => Number(r.rows[0]?.n ?? 0), () => 0);
    if (pending === 0) break;
    await sleep(250);
  }
  await sleep(500);
}

async function rowCounts(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.client.query<Record<string, string>>(
    `select (select count(*) from checkout."order") as "order",
            (select count(*) from checkout.idempotent_request where operation <> 'UpdateCart') as idempotent_request,
            (select count(*) from booking.booking) as booking`,
  );
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** held + sold of the stock (summed: a stock may be several rows) against the tickets of placed orders. */
async function oversellCheck(db: Database, ticketId: string): Promise<Oversell> {
  const placingQuery = `select count(*) as n from checkout."order" o join checkout.order_item i on i.order_id = o.id
                        where o.status = 'PLACING' and i.ticket_id = $1`;
  let placing = 0;
  // A placement the driver gave up on (deadline) may still be finishing in the server; the naive comparator's lock
  // queue can take a minute to drain. Whatever is still PLACING after that is counted with the holds it has.
  for (const until = Date.now() + 60_000; ; await sleep(250)) {
    placing = Number((await db.client.query<{ n: string }>(placingQuery, [ticketId])).rows[0]?.n ?? 0);
    if (placing === 0 || Date.now() > until) break;
  }
  const stock = (
    await db.client.query<{ total: string; held: string; sold: string }>(
      `select coalesce(sum(total), 0) as total, coalesce(sum(held), 0) as held, coalesce(sum(sold), 0) as sold
       from booking.stock where ticket_id = $1`,
      [ticketId],
    )
  ).rows[0];
  const placed = (
    await db.client.query<{ n: string }>(
      `select coalesce(sum(i.quantity), 0) as n from checkout.order_item i join checkout."order" o on o.id = i.order_id
       where i.ticket_id = $1 and o.status in ('PENDING_PAYMENT', 'PAID')`,
      [ticketId],
    )
  ).rows[0];
  const placingHeld = (
    await db.client.query<{ n: string }>(
      `select coalesce(sum(b.quantity), 0) as n from booking.booking b join checkout."order" o on o.id = b.order_id
       where b.ticket_id = $1 and b.status = 'HELD' and o.status = 'PLACING'`,
      [ticketId],
    )
  ).rows[0];
  const total = Number(stock?.total ?? 0);
  const held = Number(stock?.held ?? 0);
  const sold = Number(stock?.sold ?? 0);
  const placedTickets = Number(placed?.n ?? 0);
  const inPlacing = Number(placingHeld?.n ?? 0);
  const pass = held + sold === placedTickets + inPlacing && held + sold <= total;
  return { total, held, sold, placedTickets, placing, placingHeld: inPlacing, pass };
}

async function measureOnsale(
  ctx: RunContext,
  buyers: number,
  seats: number,
  stockBuckets?: number,
): Promise<{ onsale: OnsaleFigures; soldOut?: SoldOutFigures }> {
  const { ticketId } = await createOnsaleEvent(ctx, seats, stockBuckets);
  const run = randomBytes(3).toString("hex");
  const tokens = await Promise.all(Array.from({ length: buyers }, (_, i) => mintToken(ctx.secret, `buyer-${run}-${i}`, "customer")));
  await settle(ctx.db);

  let start: CpuSample | undefined;
  let atSwitch: CpuSample | undefined;
  let atEnd: CpuSample | undefined;
  let soldOutAt: Date | undefined;
  let endAt: Date | undefined;
  let switchEvent: DriverEvent | undefined;
  let rowsBefore: Promise<Record<string, number>> | undefined;
  const result = await runDriver<OnsaleResult>(
    {
      mode: "onsale",
      target: ctx.checkoutUrl,
      conns: opts.conns,
      deadlineMs: opts.deadlineMs,
      tokens,
      ticketId,
      capacity: seats,
      durationSeconds: opts.durationSeconds,
      soldOutSeconds: opts.soldOutSeconds,
    },
    (e) => {
      if (e.event === "start") start = sampleCpu(ctx.groups);
      if (e.event === "soldout" || e.event === "cap") {
        atSwitch = sampleCpu(ctx.groups);
        switchEvent = e;
      }
      if (e.event === "soldout") {
        soldOutAt = new Date();
        rowsBefore = rowCounts(ctx.db);
      }
      if (e.event === "end") {
        atEnd = sampleCpu(ctx.groups);
        endAt = new Date();
      }
    },
    (pid) => ctx.setDriverPid(pid),
  );
  ctx.setDriverPid(undefined);
  if (!start || !atSwitch) throw new Error("the driver reported no phase switch");
  const window = cpuBetween(start, atSwitch);
  const onsale: OnsaleFigures = {
    buyers,
    seats,
    result,
    cpu: window.use,
    cpuSeconds: window.seconds,
    oversell: await oversellCheck(ctx.db, ticketId),
    inFlightAtSwitch: Number(switchEvent?.["inFlight"] ?? 0),
  };
  if (!result.soldOutPhase || !rowsBefore || !soldOutAt || !atEnd || !endAt) return { onsale };

  const before = await rowsBefore;
  const after = await rowCounts(ctx.db);
  const cart = await ctx.db.client.query<{ n: string }>(
    `select count(*) as n from checkout.cart_item where updated_at between $1 and $2`,
    [soldOutAt, endAt],
  );
  const rowsWritten: Record<string, number> = {};
  for (const [table, n] of Object.entries(after)) rowsWritten[table] = n - (before[table] ?? 0);
  rowsWritten["cart_item (updated)"] = Number(cart.rows[0]?.n ?? 0);
  // Not counted: the buyers' own UpdateCart(0) after a refused PlaceOrder, which empties a cart filled before the
  // sell-out. That is a write the buyer asked for, not one caused by asking for the sold-out ticket type.
  return {
    onsale,
    soldOut: {
      result: result.soldOutPhase,
      reason: result.reason ?? "",
      atMs: switchEvent?.tMs ?? 0,
      inFlight: Number(switchEvent?.["inFlight"] ?? 0),
      rowsWritten,
      cpu: cpuBetween(atSwitch, atEnd).use,
      driverCpuUsPerCall: result.driverCpuUsPerCall,
      probe: false,
    },
  };
}

async function measureGetEvent(
  ctx: Pick<RunContext, "groups" | "setDriverPid">,
  target: string,
  eventId: string,
  token: string,
): Promise<UnaryFigures> {
  let from: CpuSample | undefined;
  let to: CpuSample | undefined;
  const result = await runDriver<UnaryResult>(
    {
      mode: "unary",
      target,
      conns: opts.conns,
      deadlineMs: opts.deadlineMs,
      method: "/ticketing.event.v1.EventService/GetEvent",
      requestBase64: Buffer.from(toBinary(eventPb.GetEventRequestSchema, create(eventPb.GetEventRequestSchema, { eventId }))).toString("base64"),
      token,
      callers: GETEVENT_CALLERS,
      warmupSeconds: 3,
      seconds: opts.getEventSeconds,
    },
    (e) => {
      if (e.event === "measuring") from = sampleCpu(ctx.groups);
      if (e.event === "measured") to = sampleCpu(ctx.groups);
    },
    (pid) => ctx.setDriverPid(pid),
  );
  ctx.setDriverPid(undefined);
  return { result, cpu: from && to ? cpuBetween(from, to).use : [] };
}

/**
 * The hold alone: `callers` concurrent CreateBooking calls, one fresh order each (as checkout makes them), against
 * booking until the stock is gone or the on-sale cap passes. Same RPC, same servers; only the hold strategy differs
 * between the runs compared.
 */
async function measureHolds(ctx: RunContext, target: string, callers: number, seats: number): Promise<HoldsFigures> {
  const { ticketId } = await createOnsaleEvent(ctx, seats);
  const token = await mintToken(ctx.secret, "bench-checkout", "service");
  let from: CpuSample | undefined;
  const result = await runDriver<HoldsResult>(
    { mode: "holds", target, conns: opts.conns, deadlineMs: opts.deadlineMs, token, ticketId, callers, durationSeconds: opts.durationSeconds },
    (e) => {
      if (e.event === "start") from = sampleCpu(ctx.groups);
    },
    (pid) => ctx.setDriverPid(pid),
  );
  const to = sampleCpu(ctx.groups);
  ctx.setDriverPid(undefined);
  return { result, cpu: from ? cpuBetween(from, to).use : [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Printing

const num = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const ms = (n: number) => num(n, 1);
const codesText = (codes: Record<string, number>) =>
  Object.entries(codes)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${num(n, 0)}`)
    .join(" · ") || "none";
const cpuText = (use: CpuUse[], driverUsPerCall: number) =>
  use
    .map((u) => `${u.label} ${u.cores === undefined ? "n/a" : u.cores.toFixed(2)}${u.label === "driver" ? ` (${num(driverUsPerCall, 0)} µs per call)` : ""}`)
    .join(" · ");

function rpcLines(rpcs: Record<string, RpcReport>, indent: string): string[] {
  return Object.entries(rpcs)
    .filter(([, r]) => r.calls > 0)
    .map(
      ([name, r]) =>
        `${indent}${name.padEnd(11)} ${num(r.calls, 0).padStart(8)} calls  p50 ${ms(r.latencyMs.p50)}  p95 ${ms(r.latencyMs.p95)}  ` +
        `p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)} ms   ${codesText(r.codes)}`,
    );
}

function printOnsale(f: OnsaleFigures): void {
  const r = f.result;
  const how = r.soldOut
    ? `sold out after ${(r.onsale.wallMs / 1000).toFixed(1)} s (${r.reason})`
    : `CAP of ${opts.durationSeconds} s HIT before selling out (${num(r.onsale.tickets, 0)} of ${num(f.seats, 0)} tickets placed within it` +
      `${r.totalTickets > r.onsale.tickets ? `, ${num(r.totalTickets, 0)} once the calls in flight were answered` : ""})`;
  console.log(`on-sale, ${f.buyers} buyers, ${num(f.seats, 0)} seats: ${how}`);
  console.log(
    `  PlaceOrders/s ${num(r.onsale.placeOrdersPerSec)} · tickets/s ${num(r.onsale.ticketsPerSec)} ` +
      `(${num(r.onsale.orders, 0)} orders, ${num(r.onsale.tickets, 0)} tickets in the ${(r.onsale.wallMs / 1000).toFixed(1)} s on-sale window; ` +
      `${f.inFlightAtSwitch} calls in flight at its end; driver done after ${(r.drainedMs / 1000).toFixed(1)} s)`,
  );
  for (const line of rpcLines(r.onsale.rpcs, "  ")) console.log(line);
  console.log(`  CPU, cores over the on-sale window: ${cpuText(f.cpu, r.driverCpuUsPerCall)}`);
  const o = f.oversell;
  console.log(
    `  oversell check: ${o.pass ? "PASS" : "FAIL"} — held ${num(o.held, 0)} + sold ${num(o.sold, 0)} ` +
      `${o.held + o.sold === o.placedTickets + o.placingHeld ? "=" : "≠"} ${num(o.placedTickets, 0)} tickets in placed orders` +
      `${o.placing > 0 ? ` + ${num(o.placingHeld, 0)} held for ${o.placing} orders still PLACING` : ""} ` +
      `${o.held + o.sold <= o.total ? "≤" : ">"} capacity ${num(o.total, 0)} (the driver saw ${num(r.totalTickets, 0)} placed)`,
  );
}

function printSoldOut(s: SoldOutFigures): void {
  const r = s.result;
  console.log(
    `  sold-out phase${s.probe ? " (probe: a second event of 300 seats, since the on-sale above never sold out)" : ""}: ` +
      `${(r.wallMs / 1000).toFixed(1)} s from ${(s.atMs / 1000).toFixed(1)} s (${s.reason}; ${s.inFlight} calls in flight at the switch)`,
  );
  console.log(
    `    ${num(r.requests, 0)} requests for the sold-out ticket type (AddToCart + PlaceOrder) = ${num(r.requestsPerSec)}/s; ` +
      `${num(r.rejections, 0)} rejected RESOURCE_EXHAUSTED = ${num(r.rejectionsPerSec)} rejections/s`,
  );
  for (const line of rpcLines(r.rpcs, "    ")) console.log(line);
  console.log(`    rows written during the phase: ${Object.entries(s.rowsWritten).map(([t, n]) => `${t} +${num(n, 0)}`).join(", ")}`);
  console.log(`    CPU, cores over the sold-out phase: ${cpuText(s.cpu, s.driverCpuUsPerCall)}`);
}

function printGetEvent(label: string, g: UnaryFigures): void {
  const r = g.result;
  console.log(
    `${label}: ${num(r.callsPerSec)} calls/s over ${(r.measuredMs / 1000).toFixed(1)} s, p50 ${ms(r.latencyMs.p50)} p95 ${ms(r.latencyMs.p95)} ` +
      `p99 ${ms(r.latencyMs.p99)} max ${ms(r.latencyMs.max)} ms, ${codesText(r.codes)}`,
  );
  console.log(`  CPU, cores over the measured window: ${cpuText(g.cpu, r.driverCpuUsPerCall)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

/** A fresh database, Kafka namespace and set of server processes for one run; everything is removed after. */
function printHolds(strategy: string, callers: number, h: HoldsFigures): void {
  const r = h.result;
  console.log(
    `holds (CreateBooking), ${strategy}, ${callers} callers: ${num(r.holdsPerSec)} holds/s (${num(r.holds, 0)} holds, ` +
      `${num(r.tickets, 0)} tickets in ${num(r.wallMs / 1000)} s${r.soldOut ? ", sold out" : ", cap hit"})`,
  );
  console.log(`  CreateBooking  ${num(r.calls, 0)} calls  p50 ${ms(r.latencyMs.p50)}  p99 ${ms(r.latencyMs.p99)}  max ${ms(r.latencyMs.max)} ms   ${codesText(r.codes)}`);
  console.log(`  CPU, cores: ${cpuText(h.cpu, r.driverCpuUsPerCall)}`);
}

async function withPlatform(
  label: string,
  topology: Topology,
  extraEnv: Record<string, string>,
  measure: (ctx: RunContext, procs: Proc[]) => Promise<Row[]>,
): Promise<Row[]> {
  const db = await createDatabase();
  const dropDb = () => db.drop();
  cleanups.add(dropDb);
  const secret = randomBytes(32).toString("base64url");
  const namespace = `onsale-${randomBytes(4).toString("hex")}.`;
  const logDir = join(REPO_ROOT, ".run/bench-onsale", label);
  const profileDir = opts.profile ? join(REPO_ROOT, ".run/profiles", label) : undefined;
  rmSync(logDir, { recursive: true, force: true });
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  let procs: Proc[] = [];
  const stopAll = async () => {
    const how = await Promise.all(procs.map((p) => p.stop()));
    const killed = procs.filter((_, i) => how[i] === "killed").map((p) => p.name);
    if (killed.length > 0) console.log(`  (${killed.join(", ")} did not exit within 10 s of SIGTERM and was killed)`);
  };
  cleanups.add(stopAll);
  try {
    const servers = await startServers(topology, onsaleEnv(db, secret, namespace, extraEnv), logDir, profileDir);
    procs = servers.procs;
    let driverPid: number | undefined;
    const kafka = kafkaPid();
    const groups: CpuGroup[] = [
      ...procs.map((p) => ({ label: p.name, pids: () => [p.pid] })),
      { label: "driver", pids: () => (driverPid === undefined ? [] : [driverPid]) },
      await postgresGroup(),
      { label: "kafka", pids: () => (kafka === undefined ? [] : [kafka]) },
    ];
    const ctx: RunContext = {
      db,
      secret,
      eventUrl: servers.eventUrl,
      checkoutUrl: servers.checkoutUrl,
      groups,
      setDriverPid: (pid) => (driverPid = pid),
    };
    return await measure(ctx, procs);
  } finally {
    await stopAll();
    cleanups.delete(stopAll);
    await dropDb().catch((err: unknown) => console.log(`  (could not drop ${db.name}: ${String(err)})`));
    cleanups.delete(dropDb);
    await deleteKafkaNamespace(namespace).catch((err: unknown) => console.log(`  (could not delete the topics of ${namespace}: ${String(err)})`));
    if (profileDir && existsSync(profileDir) && procs.length > 0) printProfiles(profileDir, procs);
  }
}

/**
 * GetEvent at 300 callers first (before the on-sales leave background work behind), then the on-sale at each
 * buyer count, with a sold-out probe after the largest if it never sold out.
 */
async function onsaleSuite(scenario: Scenario, ctx: RunContext, options: { getEvent: boolean; soldOutProbe: boolean; buyers: number[] }): Promise<Row[]> {
  const rows: Row[] = [];
  if (options.getEvent) {
    const { eventId } = await createOnsaleEvent(ctx, 100);
    const reader = await mintToken(ctx.secret, "bench-reader", "customer");
    const g = await measureGetEvent(ctx, ctx.eventUrl, eventId, reader);
    printGetEvent(`GetEvent, ${GETEVENT_CALLERS} callers`, g);
    rows.push({ scenario, variant: "", buyers: GETEVENT_CALLERS, getEvent: g });
  }
  for (const buyers of options.buyers) {
    const { onsale, soldOut } = await measureOnsale(ctx, buyers, seatsFor(buyers));
    printOnsale(onsale);
    let phase = soldOut;
    if (phase) printSoldOut(phase);
    else if (options.soldOutProbe && buyers === Math.max(...options.buyers)) {
      // A slow server never reaches the sold-out phase within the cap; sell out a small event instead, so every
      // run still says how requests for a sold-out ticket type are answered.
      const probe = await measureOnsale(ctx, buyers, buyers);
      if (probe.soldOut) {
        phase = { ...probe.soldOut, probe: true };
        printSoldOut(phase);
      } else {
        console.log(`  sold-out phase: not measured (even a ${buyers}-seat event did not sell out within the cap)`);
      }
    }
    // GetEvent at 300 callers shares the 300-buyer line: that is where the targets put it.
    const row = rows.find((r) => r.buyers === buyers && !r.onsale);
    if (row) Object.assign(row, { onsale, ...(phase ? { soldOut: phase } : {}) });
    else rows.push({ scenario, variant: "", buyers, onsale, ...(phase ? { soldOut: phase } : {}) });
  }
  return rows;
}

/** Whether the servers' build mentions an environment variable at all: tells a measured change from an ignored one. */
function buildReads(variable: string): boolean {
  const dist = join(SERVERS_ROOT, "packages/servers/dist");
  const walk = (dir: string): boolean =>
    readdirSync(dir).some((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return entry !== "bench" && walk(path);
      return entry.endsWith(".js") && readFileSync(path, "utf8").includes(variable);
    });
  return walk(dist);
}

async function runScenario(scenario: Scenario, n: number): Promise<Row[]> {
  const label = `${scenario}-${n}`;
  switch (scenario) {
    case "ceilings":
      return ceilings();
    case "allinone":
      console.log("topology: all four services in one process (`main.js all`), one port");
      return withPlatform(label, "allinone", {}, (ctx) => onsaleSuite(scenario, ctx, { getEvent: true, soldOutProbe: true, buyers: [30, 300] }));
    case "separate":
      console.log("topology: one process per service (event, booking, checkout, notification), each on its own port");
      return withPlatform(label, "separate", {}, (ctx) => onsaleSuite(scenario, ctx, { getEvent: true, soldOutProbe: true, buyers: [30, 300] }));
    case "naive": {
      const honoured = buildReads("TICKETING_HOLD_STRATEGY");
      console.log(
        "topology: all-in-one with TICKETING_HOLD_STRATEGY=naive (asked for: naive; " +
          (honoured ? "this build reads the variable)" : "this build does NOT read the variable, so this measures its default strategy)"),
      );
      return withPlatform(label, "allinone", { TICKETING_HOLD_STRATEGY: "naive" }, (ctx) =>
        onsaleSuite(scenario, ctx, { getEvent: false, soldOutProbe: false, buyers: [30, 300] }),
      );
    }
    case "holds": {
      // One platform per strategy, the same measurement in each: the hold is the only thing that differs.
      const rows: Row[] = [];
      for (const strategy of ["batched", "naive"]) {
        console.log(`hold strategy ${strategy} (all-in-one, TICKETING_HOLD_STRATEGY=${strategy})`);
        rows.push(
          ...(await withPlatform(`${label}-${strategy}`, "allinone", { TICKETING_HOLD_STRATEGY: strategy }, async (ctx) => {
            const found: Row[] = [];
            for (const callers of [30, 300]) {
              const h = await measureHolds(ctx, ctx.eventUrl, callers, seatsFor(callers));
              printHolds(strategy, callers, h);
              found.push({ scenario, variant: strategy, buyers: callers, holds: h });
              await settle(ctx.db);
            }
            return found;
          })),
        );
      }
      return rows;
    }
    case "buckets":
      console.log("topology: separate, with TWO booking processes; checkout and event get both in TICKETING_BOOKING_URL");
      return withPlatform(label, "buckets", {}, async (ctx) => {
        const rows: Row[] = [];
        for (const stockBuckets of [1, 8]) {
          console.log(`stock of the ticket type split over stockBuckets: ${stockBuckets}`);
          const { onsale, soldOut } = await measureOnsale(ctx, 300, seatsFor(300), stockBuckets);
          printOnsale(onsale);
          if (soldOut) printSoldOut(soldOut);
          rows.push({ scenario, variant: `stockBuckets ${stockBuckets}`, buyers: 300, onsale, ...(soldOut ? { soldOut } : {}) });
        }
        return rows;
      });
  }
}

/** The RPC frameworks' own ceiling: GetEvent answered from memory by ceilings.js, one process per kind. */
async function ceilings(): Promise<Row[]> {
  if (!existsSync(CEILINGS)) {
    console.log("ceilings: skipped (dist/bench/ceilings.js not built)");
    return [];
  }
  const rows: Row[] = [];
  for (const kind of ["raw", "grpc-js", "connect", "platform"]) {
    const port = await freePort();
    const secret = randomBytes(32).toString("base64url");
    const env: NodeJS.ProcessEnv = { ...process.env, TICKETING_JWT_SECRET: secret, TICKETING_LOG_LEVEL: "warn" };
    let proc: Proc | undefined;
    try {
      proc = await startProc({
        name: `ceiling-${kind}`,
        args: [CEILINGS, "--kind", kind, "--port", String(port)],
        env,
        port,
        logDir: join(REPO_ROOT, ".run/bench-onsale/ceilings"),
        ready: "stdout",
      });
      const server = proc;
      let driverPid: number | undefined;
      const groups: CpuGroup[] = [
        { label: server.name, pids: () => [server.pid] },
        { label: "driver", pids: () => (driverPid === undefined ? [] : [driverPid]) },
      ];
      const token = await mintToken(secret, "bench-reader", "customer");
      // An event id nobody created: ceilings.js answers every GetEvent from memory.
      const g = await measureGetEvent({ groups, setDriverPid: (pid) => (driverPid = pid) }, server.url, randomUUID(), token);
      printGetEvent(`ceiling ${kind}: GetEvent from memory, ${GETEVENT_CALLERS} callers`, g);
      rows.push({ scenario: "ceilings", variant: kind, buyers: GETEVENT_CALLERS, getEvent: g });
    } catch (err) {
      console.log(`ceiling ${kind}: failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await proc?.stop();
    }
  }
  return rows;
}

function printProfiles(dir: string, procs: Proc[]): void {
  const names = new Map(procs.map((p) => [p.pid, p.name]));
  for (const file of profileFiles(dir)) {
    const pid = pidOfProfile(file);
    const name = (pid !== undefined && names.get(pid)) || "process";
    console.log(`\nprofile of ${name} (${file}):`);
    console.log(renderSummary(summarizeFile(file, 25), name));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Medians and the summary

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Metric {
  name: string;
  of(row: Row): number | undefined;
}

const METRICS: Metric[] = [
  { name: "PlaceOrders/s", of: (r) => r.onsale?.result.onsale.placeOrdersPerSec },
  { name: "tickets/s", of: (r) => r.onsale?.result.onsale.ticketsPerSec },
  { name: "PlaceOrder p50 ms", of: (r) => r.onsale?.result.onsale.rpcs.PlaceOrder.latencyMs.p50 },
  { name: "PlaceOrder p99 ms", of: (r) => r.onsale?.result.onsale.rpcs.PlaceOrder.latencyMs.p99 },
  { name: "AddToCart p99 ms", of: (r) => r.onsale?.result.onsale.rpcs.AddToCart.latencyMs.p99 },
  { name: "GetEvent calls/s", of: (r) => r.getEvent?.result.callsPerSec },
  { name: "GetEvent p99 ms", of: (r) => r.getEvent?.result.latencyMs.p99 },
  { name: "sold-out rejections/s", of: (r) => r.soldOut?.result.rejectionsPerSec },
  { name: "sold-out rows written", of: (r) => (r.soldOut ? Object.values(r.soldOut.rowsWritten).reduce((a, b) => a + b, 0) : undefined) },
];

const keyOf = (r: Row) => `${r.scenario}|${r.variant}|${r.buyers}`;

function groupRows(rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(keyOf(row), [...(groups.get(keyOf(row)) ?? []), row]);
  return groups;
}

function medianOf(rows: Row[], metric: Metric): number | undefined {
  return median(rows.map((r) => metric.of(r)).filter((v): v is number => v !== undefined));
}

function printMedians(scenario: Scenario, rows: Row[]): void {
  if (opts.repeat < 2 || rows.length === 0) return;
  console.log(`\n${scenario}: median (min–max) of ${opts.repeat} runs`);
  for (const [, group] of groupRows(rows)) {
    const first = group[0] as Row;
    const parts = METRICS.flatMap((m) => {
      const values = group.map((r) => m.of(r)).filter((v): v is number => v !== undefined);
      if (values.length === 0) return [];
      return [`${m.name} ${num(median(values) as number)} (${num(Math.min(...values))}–${num(Math.max(...values))})`];
    });
    console.log(`  ${[first.variant, `${first.buyers} ${first.onsale ? "buyers" : "callers"}`].filter(Boolean).join(", ")}: ${parts.join("; ")}`);
  }
}

function printHoldsRatio(rows: Row[]): void {
  const rate = (strategy: string, callers: number) =>
    median(rows.filter((r) => r.holds && r.variant === strategy && r.buyers === callers).map((r) => (r.holds as HoldsFigures).result.holdsPerSec));
  console.log("\nholds: batched / naive, successful holds/s of CreateBooking (medians):");
  for (const callers of [30, 300]) {
    const ours = rate("batched", callers);
    const naive = rate("naive", callers);
    if (ours === undefined || naive === undefined) console.log(`  ${callers} callers: n/a`);
    else console.log(`  ${callers} callers: ${num(ours)} / ${num(naive)} = ${naive > 0 ? `${num(ours / naive, 2)}×` : "∞"}`);
  }
}

function printRatio(rows: Row[]): void {
  const holds = (scenario: Scenario, buyers: number) =>
    medianOf(rows.filter((r) => r.scenario === scenario && r.buyers === buyers && r.onsale), METRICS[0] as Metric);
  console.log("\nours / naive, successful holds/s (PlaceOrders/s, medians):");
  for (const buyers of [30, 300]) {
    const ours = holds("allinone", buyers);
    const naive = holds("naive", buyers);
    if (ours === undefined || naive === undefined) {
      console.log(`  ${buyers} buyers: n/a (needs both the allinone and the naive scenario in this invocation)`);
    } else {
      console.log(`  ${buyers} buyers: ${num(ours)} / ${num(naive)} = ${naive > 0 ? `${num(ours / naive, 2)}×` : "∞"}`);
    }
  }
}

function summaryTable(rows: Row[]): string {
  const lines = [
    "| Scenario | Buyers | PlaceOrders/s | Tickets/s | PlaceOrder p50 / p99 ms | AddToCart p99 ms | GetEvent calls/s (p99 ms) | Sold-out rejections/s (rows written) | Oversell check |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const v = (group: Row[], i: number) => {
    const m = medianOf(group, METRICS[i] as Metric);
    return m === undefined ? undefined : num(m);
  };
  const order = (r: Row) => [SCENARIOS.indexOf(r.scenario), r.variant, r.buyers] as const;
  const groups = [...groupRows(rows.filter((r) => !r.holds)).values()].sort((a, b) => {
    const [x, y] = [order(a[0] as Row), order(b[0] as Row)];
    return x[0] - y[0] || x[1].localeCompare(y[1]) || x[2] - y[2];
  });
  for (const group of groups) {
    const first = group[0] as Row;
    const capHit = group.some((r) => r.onsale?.result.capHit) ? " (cap)" : "";
    const oversell = group.filter((r) => r.onsale).map((r) => (r.onsale?.oversell.pass ? "pass" : "FAIL"));
    const soldOutRows = group.some((r) => r.soldOut?.probe) ? " (probe)" : "";
    lines.push(
      `| ${[first.scenario, first.variant].filter(Boolean).join(" ")} | ${first.onsale ? first.buyers : `${first.buyers} callers`} | ` +
        `${v(group, 0) ?? "—"}${v(group, 0) ? capHit : ""} | ${v(group, 1) ?? "—"} | ` +
        `${v(group, 2) !== undefined ? `${v(group, 2)} / ${v(group, 3)}` : "—"} | ${v(group, 4) ?? "—"} | ` +
        `${v(group, 5) !== undefined ? `${v(group, 5)} (${v(group, 6)})` : "—"} | ` +
        `${v(group, 7) !== undefined ? `${v(group, 7)} (${v(group, 8)})${soldOutRows}` : "—"} | ` +
        `${oversell.length === 0 ? "—" : oversell.every((o) => o === "pass") ? "pass" : oversell.join(", ")} |`,
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------

console.log(`on-sale benchmark — servers: ${SERVERS_ROOT}, ${commitOf(SERVERS_ROOT)}`);
console.log(
  `scenarios ${opts.scenarios.join(", ")}; ${opts.repeat} run(s) each; on-sale cap ${opts.durationSeconds} s; ` +
    `seats ${opts.seats ?? "20,000 (300 buyers) / 4,000 (30 buyers)"}; sold-out phase ${opts.soldOutSeconds} s; ` +
    `GetEvent 3 s warm-up + ${opts.getEventSeconds} s; driver: ${opts.conns} connections, ${opts.deadlineMs} ms deadline per call` +
    (opts.profile ? "; profiling (--cpu-prof)" : ""),
);
const all: Row[] = [];
for (const scenario of opts.scenarios) {
  const rows: Row[] = [];
  const runs = scenario === "ceilings" && !existsSync(CEILINGS) ? 1 : opts.repeat;
  for (let n = 1; n <= runs; n++) {
    console.log(`\n== ${scenario}, run ${n} of ${runs}`);
    try {
      rows.push(...(await runScenario(scenario, n)));
    } catch (err) {
      console.log(`${scenario} run ${n} FAILED: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  printMedians(scenario, rows);
  all.push(...rows);
}
if (opts.scenarios.includes("naive")) printRatio(all);
if (opts.scenarios.includes("holds")) printHoldsRatio(all);
console.log(`\n## Summary (median of ${opts.repeat} run(s) per line; "(cap)": the on-sale hit the ${opts.durationSeconds} s cap before selling out)\n`);
console.log(summaryTable(all));
if (all.some((r) => r.holds)) {
  console.log("\n| Hold strategy | Callers | Holds/s (CreateBooking) | p50 / p99 ms |\n|---|---|---|---|");
  for (const [, group] of groupRows(all.filter((r) => r.holds))) {
    const pick = (f: (h: HoldsResult) => number) => num(median(group.map((r) => f((r.holds as HoldsFigures).result))) as number);
    const first = group[0] as Row;
    console.log(`| ${first.variant} | ${first.buyers} | ${pick((h) => h.holdsPerSec)} | ${pick((h) => h.latencyMs.p50)} / ${pick((h) => h.latencyMs.p99)} |`);
  }
}
console.log(`\nmachine: ${await describeMachine()}`);
console.log(`servers: ${commitOf(SERVERS_ROOT)}; command: make bench-onsale ARGS="${process.argv.slice(2).join(" ")}"`);
