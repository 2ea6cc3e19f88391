import { Code, ConnectError, codeName, type TicketingClient } from "@ticketing/sdk";
import type { Command } from "commander";
import { randomUUID } from "node:crypto";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { positiveInt } from "../../format.js";
import { mintToken } from "../../tokens.js";
import { act, examples } from "../shared.js";

interface OnsaleOptions {
  seats: string;
  buyers: string;
  duration: string;
  pay?: boolean;
}

interface OnsaleReport {
  seats: number;
  buyers: number;
  attempts: number;
  holds: number;
  ticketsHeld: number;
  holdsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  rejections: Record<string, number>;
  wallSeconds: number;
  soldOut: boolean;
  stock: { total: number; held: number; sold: number; available: number };
  oversold: boolean;
  oversellCheck: "pass" | "fail";
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * An on-sale: one event with `seats` seats, `buyers` concurrent buyers each buying 1–4 tickets per order, until sold
 * out or `duration` seconds. Needs the deployment's signing secret (development deployments) to mint buyers.
 */
async function runOnsale(r: Run, opts: OnsaleOptions, onProgress?: (held: number, seats: number) => void): Promise<OnsaleReport> {
  const seats = positiveInt(opts.seats, "--seats", 1_000_000);
  const buyerCount = positiveInt(opts.buyers, "--buyers", 5000);
  const durationMs = positiveInt(opts.duration, "--duration", 3600) * 1000;
  const conn = await r.connection();
  if (!conn.jwtSecret) {
    throw new CliError(
      "load onsale mints a token per synthetic buyer and needs the deployment's signing secret",
      EXIT.usage,
      "set TICKETCTL_JWT_SECRET (the embedded server's context carries it)",
    );
  }
  const admin = await r.client();
  const { event } = await admin.events.createEvent({
    name: `on-sale ${new Date().toISOString()}`,
    startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
    endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
    ticketTypes: [{ name: "General admission", price: { amountMinor: 5000n, currency: "EUR" }, capacity: seats }],
  });
  const ticketId = event!.ticketTypes[0]!.id;
  const clients: TicketingClient[] = await Promise.all(
    Array.from({ length: buyerCount }, async (_, i) =>
      r.deps.createClient({ ...conn, token: await mintToken(conn.jwtSecret as string, `onsale-${i}-${randomUUID().slice(0, 6)}`, "customer") }),
    ),
  );

  const latencies: number[] = [];
  const rejections: Record<string, number> = {};
  const orders: string[] = [];
  let ticketsHeld = 0;
  let attempts = 0;
  let soldOut = false;
  const started = performance.now();
  const deadline = Date.now() + durationMs;

  await Promise.all(
    clients.map(async (c) => {
      while (!soldOut && Date.now() < deadline) {
        const quantity = 1 + Math.floor(Math.random() * 4);
        attempts++;
        const t0 = performance.now();
        try {
          await c.checkout.updateCart({ ticketId, quantity });
          const { order } = await c.checkout.placeOrder({});
          latencies.push(performance.now() - t0);
          orders.push(order!.id);
          ticketsHeld += quantity;
          onProgress?.(ticketsHeld, seats);
        } catch (err) {
          latencies.push(performance.now() - t0);
          const code = err instanceof ConnectError ? codeName(err.code) : "CLIENT_ERROR";
          rejections[code as string] = (rejections[code as string] ?? 0) + 1;
          if (err instanceof ConnectError && err.code === Code.ResourceExhausted) {
            const { stock } = await admin.bookings.getStock({ ticketId });
            if ((stock?.available ?? 0) === 0) soldOut = true;
          }
        }
      }
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (opts.pay) {
    for (const orderId of orders) await admin.checkout.markOrderAsPaid({ orderId, paymentReference: `onsale-${orderId}` });
  }
  const { stock } = await admin.bookings.getStock({ ticketId });
  const s = { total: stock!.total, held: stock!.held, sold: stock!.sold, available: stock!.available };
  const oversold = s.held + s.sold > s.total || s.available < 0 || s.held + s.sold !== ticketsHeld;
  const exact = soldOut ? s.held + s.sold === s.total : true;
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    seats,
    buyers: buyerCount,
    attempts,
    holds: orders.length,
    ticketsHeld,
    holdsPerSecond: round(orders.length / wallSeconds),
    latencyMs: { p50: round(pct(sorted, 50)), p95: round(pct(sorted, 95)), p99: round(pct(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
    rejections,
    wallSeconds: round(wallSeconds),
    soldOut,
    stock: s,
    oversold,
    oversellCheck: !oversold && exact ? "pass" : "fail",
  };
}

function renderOnsale(rep: OnsaleReport): string {
  return [
    `on-sale: ${rep.seats} seats, ${rep.buyers} concurrent buyers, ${rep.wallSeconds} s${rep.soldOut ? " (sold out)" : ""}`,
    `holds: ${rep.holds} orders, ${rep.ticketsHeld} tickets, ${rep.holdsPerSecond} holds/s (${rep.attempts} attempts)`,
    `latency (cart + place): p50 ${rep.latencyMs.p50} ms, p95 ${rep.latencyMs.p95} ms, p99 ${rep.latencyMs.p99} ms, max ${rep.latencyMs.max} ms`,
    `rejections: ${Object.entries(rep.rejections).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
    `stock: total ${rep.stock.total}, held ${rep.stock.held}, sold ${rep.stock.sold}, available ${rep.stock.available}`,
    `oversell check: ${rep.oversellCheck.toUpperCase()}${rep.soldOut ? " (held + sold = capacity exactly)" : ""}`,
  ].join("\n");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("onsale")
    .description("Simulate an on-sale: N seats, M concurrent buyers of 1–4 tickets, until sold out or the duration ends")
    .option("-n, --seats <n>", "seats on sale", "1000")
    .option("-m, --buyers <n>", "concurrent buyers", "200")
    .option("-d, --duration <seconds>", "stop after this long even if not sold out", "60")
    .option("--pay", "pay every order afterwards (admin)")
    .addHelpText("after", examples("ticketctl load onsale --seats 1000 --buyers 300", "ticketctl load onsale -n 500 -m 100 --json"))
    .action(
      act(deps, async (r: Run, opts: OnsaleOptions) => {
        const bar = r.deps.stderr.isTTY && !r.out.json;
        const report = await runOnsale(r, opts, (held, seats) => {
          if (!bar) return;
          const width = 30;
          const filled = Math.min(width, Math.round((held / seats) * width));
          r.deps.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.min(held, seats)}/${seats} held`);
        });
        if (bar) r.deps.stderr.write("\n");
        r.out.data(report, () => renderOnsale(report));
        if (report.oversellCheck === "fail") throw new CliError("oversell check failed", EXIT.error);
      }),
    );
}
