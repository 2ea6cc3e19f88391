// Summarises V8 .cpuprofile files (from `node --cpu-prof`): the functions with the most self time, and the time
// per category — GC, idle, native code, each library the hot path goes through, Node internals, the platform's own
// code — so a profile answers "where does a request's CPU go" without opening DevTools.
//   node packages/servers/dist/bench/profile-summary.js <dir or file.cpuprofile> [--top 25]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: { name: string; location: string; selfMs: number; pct: number }[];
  categories: { category: string; ms: number; pct: number }[];
}

/** Libraries the hot path is made of, by npm package name; anything else in node_modules is "other packages". */
const PACKAGE_CATEGORY: [RegExp, string][] = [
  [/^pg(-.*)?$|^postgres-/, "pg"],
  [/^@connectrpc\//, "@connectrpc"],
  [/^@bufbuild\//, "@bufbuild"],
  [/^(pino(-.*)?|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|safe-stable-stringify|atomic-sleep|on-exit-leak-free)$/, "pino"],
  [/^jose$/, "jose"],
  [/^@mikro-orm\//, "@mikro-orm"],
  [/^kysely$/, "kysely"],
  [/^@platformatic\/kafka$/, "@platformatic/kafka"],
];

export function categoryOf(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (url === "" && /^\(.*\)$/.test(functionName)) return functionName; // (garbage collector), (program), (idle), (root)
  // No script: V8 builtins and Node's C++ bindings (writev, writeBuffer: socket writes).
  if (url === "") return "native";
  if (url.startsWith("node:")) return "node: internals";
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    for (const [pattern, category] of PACKAGE_CATEGORY) if (pattern.test(pkg)) return category;
    return "other packages";
  }
  if (/\/packages\/servers\/(dist|src)\/platform\//.test(url)) return "own: platform/";
  if (/\/packages\/[^/]+\/(dist|src)\//.test(url)) return "own: services, sdk";
  return "other";
}

function location(frame: CallFrame): string {
  if (frame.url === "") return "";
  const path = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  const short = path.replace(/^.*\/node_modules\//, "").replace(/^.*\/(packages\/)/, "$1");
  return `${short}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, file: string, top = 25): ProfileSummary {
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length > 0) {
    // Sample i lasts until sample i + 1 is taken, as DevTools counts it; the last one until the profile ends.
    let t = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += timeDeltas[i] ?? 0;
      const next = i + 1 < samples.length ? t + (timeDeltas[i + 1] ?? 0) : profile.endTime;
      const id = samples[i] as number;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, next - t));
    }
  } else {
    const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0) || 1;
    const per = (profile.endTime - profile.startTime) / total;
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * per);
  }

  // One function appears as many nodes (one per call path): add them up by function.
  const byFunction = new Map<string, { frame: CallFrame; us: number }>();
  const byCategory = new Map<string, number>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const f = node.callFrame;
    const key = `${f.functionName}\0${f.url}\0${f.lineNumber}\0${f.columnNumber}`;
    const entry = byFunction.get(key) ?? { frame: f, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
    const category = categoryOf(f);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / (totalUs || 1)) * 1000) / 10;
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    top: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ frame, us }) => ({ name: frame.functionName || "(anonymous)", location: location(frame), selfMs: Math.round(us / 1000), pct: pct(us) })),
    categories: [...byCategory.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: Math.round(us / 1000), pct: pct(us) })),
  };
}

export function renderSummary(summary: ProfileSummary, title = basename(summary.file)): string {
  const idle = summary.categories.find((c) => c.category === "(idle)")?.ms ?? 0;
  const lines = [`${title}: ${(summary.totalMs / 1000).toFixed(1)} s of samples, ${((summary.totalMs - idle) / 1000).toFixed(1)} s of them busy`];
  lines.push("  by category: " + summary.categories.map((c) => `${c.category} ${c.pct}%`).join(", "));
  lines.push("  top functions by self time:");
  for (const f of summary.top) {
    lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(6)} ms  ${f.name}${f.location ? `  ${f.location}` : ""}`);
  }
  return lines.join("\n");
}

/** The .cpuprofile files of a directory (or the one file given), oldest first. */
export function profileFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(path, f))
    .sort();
}

/** The pid in Node's default profile file name, CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile. */
export function pidOfProfile(file: string): number | undefined {
  const m = /^CPU\.\d+\.\d+\.(\d+)\./.exec(basename(file));
  return m ? Number(m[1]) : undefined;
}

export function summarizeFile(file: string, top = 25): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, file, top);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
  if (positionals.length === 0) {
    process.stderr.write("usage: node packages/servers/dist/bench/profile-summary.js <dir or .cpuprofile>... [--top 25]\n");
    process.exit(2);
  }
  for (const path of positionals) {
    for (const file of profileFiles(path)) console.log(`${renderSummary(summarizeFile(file, Number(values.top)))}\n`);
  }
}
