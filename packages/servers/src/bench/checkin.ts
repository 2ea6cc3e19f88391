// Benchmark: online CheckIn throughput with many gates scanning at once, on the real PostgreSQL and Kafka started by
// scripts/postgres.sh and scripts/kafka.sh. Prints figures; asserts nothing.
//   node packages/servers/dist/bench/checkin.js [--gates 100] [--tickets 5000]
//
// Every service runs in one process on a fresh database. Setup (not timed): one event, orders of 50 tickets paid until
// --tickets are issued, and every ticket's code read with GetTicketCode. Then --gates gates, each a client with its
// own connection and a `gate` token, take the next code from one shared queue and call CheckIn until the queue is
// empty: first every code once (each an admission: one UPDATE … RETURNING with its CheckedIn outbox row), then every
// code again (each refused ALREADY_CHECKED_IN: a read). The gates run in this process too, on the same two cores.
import { admission as pb, createTicketingClient, type TicketingClient } from "@ticketing/sdk";
import { sql } from "kysely";
import { availableParallelism, cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { percentile, withPlatform } from "./shared.js";

const { values } = parseArgs({ options: { gates: { type: "string", default: "100" }, tickets: { type: "string", default: "5000" } } });
const GATES = Number(values.gates);
const TICKETS = Number(values.tickets);
const PER_ORDER = 50;

/** Runs `work` over `items` with `concurrency` workers taking the next item from one queue. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < items.length) await work(items[next++] as T, worker);
    }),
  );
}

/** Every code scanned once by `gates`, each gate on its own connection; what they were answered, and how fast. */
async function scanAll(gates: TicketingClient[], codes: readonly string[], eventId: string) {
  const latencies: number[] = [];
  const results = new Map<string, number>();
  const started = performance.now();
  await pool(codes, gates.length, async (code, g) => {
    const t0 = performance.now();
    const answer = await gates[g]!.admission.checkIn({ code, gate: `gate ${g + 1}`, eventId });
    latencies.push(performance.now() - t0);
    const name = pb.CheckInResult[answer.result] ?? String(answer.result);
    results.set(name, (results.get(name) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, perSecond: codes.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), results };
}

async function main(): Promise<void> {
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  await withPlatform(async (platform) => {
    const client = async (sub: string, role: "admin" | "customer" | "gate") =>
      createTicketingClient({ baseUrl: platform.url, protocol: "grpc", token: await platform.tokens.mint({ sub, role }) });
    const admin = await client("bench-admin", "admin");
    const { event } = await admin.events.createEvent({
      name: "Check-in bench",
      startsAt: { seconds: 2_000_000_000n },
      endsAt: { seconds: 2_000_003_600n },
      ticketTypes: [{ name: "GA", price: { amountMinor: 1000n, currency: "EUR" }, capacity: TICKETS }],
    });
    const eventId = event!.id;
    const ticketTypeId = event!.ticketTypes[0]!.id;

    const setup = performance.now();
    const orders = Array.from({ length: Math.ceil(TICKETS / PER_ORDER) }, (_, i) => Math.min(PER_ORDER, TICKETS - i * PER_ORDER));
    await pool(orders.map((quantity, i) => ({ quantity, i })), 8, async ({ quantity, i }) => {
      const buyer = await client(`buyer-${i}`, "customer");
      await buyer.checkout.addToCart({ ticketId: ticketTypeId, quantity });
      const { order } = await buyer.checkout.placeOrder({});
      await admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: `bench-${i}` });
    });
    const db = platform.orms.admission!.em.fork().getKysely();
    let ids: string[] = [];
    for (const deadline = Date.now() + 300_000; ids.length < TICKETS && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 250));
      ids = (await sql<{ id: string }>`select id from admission.ticket`.execute(db)).rows.map((r) => r.id);
    }
    if (ids.length < TICKETS) throw new Error(`only ${ids.length} of ${TICKETS} tickets were issued`);
    const codes: string[] = [];
    await pool(ids, 20, async (ticketId) => void codes.push((await admin.admission.getTicketCode({ ticketId })).code));
    console.log(`setup: ${TICKETS} tickets issued (${orders.length} paid orders) and their codes read in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

    const gates = await Promise.all(Array.from({ length: GATES }, (_, g) => client(`gate-${g + 1}`, "gate")));
    // One call each first, so every gate has its connection before the clock starts.
    await Promise.all(gates.map((g) => g.admission.getVerificationKeys({})));

    for (const [what, pass] of [["first scans (admitted)", 1], ["second scans (refused: already checked in)", 2]] as const) {
      const r = await scanAll(gates, codes, eventId);
      const answers = [...r.results].map(([name, n]) => `${name} ${n}`).join(", ");
      console.log(
        `check-in, ${GATES} concurrent gates, pass ${pass}, ${what}: ${codes.length} scans in ${r.seconds.toFixed(2)} s = ` +
          `${r.perSecond.toFixed(0)} check-ins/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (${answers})`,
      );
    }
  });
}

await main();
