// Printing: one table per scenario (every check with its verdict and what was measured), and a summary table.
import type { CpuUse } from "../bench/onsale-infra.js";
import type { OrderFigures, Verdict } from "./checks.js";
import type { Rpc } from "./load.js";
import type { Fault, Scenario } from "./scenarios.js";

export interface Recovery {
  /** Fault → every /readyz 200 again (after the last one that was not). */
  readyS: number | undefined;
  /** Fault → the first PlaceOrder asked after the fault and answered with an order. */
  orderS: number | undefined;
  /** The later of the two: undefined if either never happened. */
  totalS: number | undefined;
}

/** Expiry latencies in seconds: how many, median, max. */
interface Latency {
  n: number;
  medianS: number | undefined;
  maxS: number | undefined;
}

export interface ScenarioResult {
  scenario: Scenario;
  fault?: Fault;
  loadSeconds?: number;
  settleSeconds?: number;
  seconds: number;
  orders?: OrderFigures;
  errors: Map<Rpc, Map<string, number>>;
  calls: Map<Rpc, number>;
  gaveUp: number;
  recovery?: Recovery;
  /** Every EXPIRED order; those placed after the platform was back; those placed before. */
  expiry?: Latency & { after: Latency; before: Latency };
  deadlocks?: { before: number; after: number };
  cpu?: CpuUse[];
  verdicts: Verdict[];
}

export const failures = (r: ScenarioResult) => r.verdicts.filter((v) => !v.ok);
const s1 = (n: number | undefined) => (n === undefined ? "—" : n.toFixed(1));

export function errorsText(errors: ScenarioResult["errors"]): string {
  const parts: string[] = [];
  for (const [rpc, codes] of [...errors.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    parts.push(`${rpc} ${[...codes.entries()].map(([c, n]) => `${c} ${n}`).join(", ")}`);
  }
  return parts.join(" · ") || "none";
}

function ordersText(o: OrderFigures): string {
  const b = o.byStatus;
  const rest = Object.entries(b)
    .filter(([s]) => !["PAID", "CANCELLED", "EXPIRED", "FAILED"].includes(s))
    .map(([s, n]) => ` · ${s.toLowerCase()} ${n}`)
    .join("");
  return `${o.orders}: paid ${b["PAID"] ?? 0} · cancelled ${b["CANCELLED"] ?? 0} · expired ${b["EXPIRED"] ?? 0} · failed ${b["FAILED"] ?? 0}${rest}`;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

export function printScenario(r: ScenarioResult, index: number, of: number): void {
  const bad = failures(r);
  console.log(`\n== ${index}/${of} ${r.scenario.title}: ${bad.length === 0 ? "PASS" : `FAIL (${bad.map((v) => v.check).join(", ")})`} in ${r.seconds.toFixed(0)} s`);
  if (r.fault) console.log(`fault: ${r.fault.note}; load ${s1(r.loadSeconds)} s, settled ${s1(r.settleSeconds)} s after it stopped`);
  const rows: string[][] = [["measure", "result", "detail"]];
  if (r.orders) rows.push(["orders", "", ordersText(r.orders)]);
  const calls = [...r.calls.values()].reduce((a, b) => a + b, 0);
  rows.push(["calls answered", "", `${calls}${r.gaveUp > 0 ? `; ${r.gaveUp} actions given up after 20 s of UNAVAILABLE/DEADLINE_EXCEEDED` : ""}`]);
  if (r.recovery) {
    rows.push([
      "recovery",
      "",
      `${s1(r.recovery.totalS)} s (every /readyz 200 after ${s1(r.recovery.readyS)} s, first order placed after the fault answered after ${s1(r.recovery.orderS)} s)`,
    ]);
  }
  if (r.expiry) {
    const e = r.expiry;
    rows.push([
      "expiry latency",
      "",
      `median ${s1(e.medianS)} s · max ${s1(e.maxS)} s over ${e.n} EXPIRED orders; placed after the platform was back: ` +
        `median ${s1(e.after.medianS)} · max ${s1(e.after.maxS)} s (${e.after.n}); placed before: median ${s1(e.before.medianS)} · max ${s1(e.before.maxS)} s (${e.before.n})`,
    ]);
  }
  if (r.cpu) rows.push(["CPU (cores, load + settle)", "", r.cpu.map((c) => `${c.label} ${c.cores === undefined ? "n/a" : c.cores.toFixed(2)}`).join(" · ")]);
  for (const v of r.verdicts) rows.push([v.check, v.ok ? "ok" : "FAIL", v.detail]);
  console.log(table(rows));
}

export function printSummary(results: readonly ScenarioResult[]): void {
  const rows: string[][] = [
    ["scenario", "orders", "paid", "cancelled", "expired", "failed", "stuck", "invariants", "client errors", "recovery s", "expiry p50 / max s (p50 after recovery)", "deadlocks", "result"],
  ];
  for (const r of results) {
    const b = r.orders?.byStatus ?? {};
    const invariants = r.verdicts.find((v) => v.check === "stock invariants");
    rows.push([
      r.scenario.title,
      String(r.orders?.orders ?? "—"),
      String(b["PAID"] ?? 0),
      String(b["CANCELLED"] ?? 0),
      String(b["EXPIRED"] ?? 0),
      String(b["FAILED"] ?? 0),
      String(r.orders?.stuck.length ?? "—"),
      invariants ? (invariants.ok ? "ok" : "FAIL") : "—",
      errorsText(r.errors),
      s1(r.recovery?.totalS),
      `${s1(r.expiry?.medianS)} / ${s1(r.expiry?.maxS)} (${s1(r.expiry?.after.medianS)})`,
      r.deadlocks ? String(r.deadlocks.after - r.deadlocks.before) : "—",
      failures(r).length === 0 ? "PASS" : "FAIL",
    ]);
  }
  console.log(`\n${table(rows)}`);
}
