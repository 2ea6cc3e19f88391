// What the on-sale benchmark stands on: a fresh database per run, server processes started the way an operator
// starts them, CPU read from /proc, the Go load driver, and a description of the machine. onsale.ts decides what
// to measure and prints it. Only public interfaces of the servers are used (the CLI, env, gRPC, SQL), so the same
// bench can drive an older checkout's build (--root).
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createServer } from "node:net";
import { Admin } from "@platformatic/kafka";
import pg from "pg";

/** The checkout this file was built in: where the driver binary and .run/ live. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url)).replace(/\/$/, "");
export const DRIVER = join(REPO_ROOT, ".tools/bin/onsale-driver");
export const ADMIN_DATABASE_URL =
  process.env["TICKETING_TEST_DATABASE_URL"] ?? "postgres://ticketing:ticketing@127.0.0.1:5432/ticketing";
export const KAFKA_BROKERS = process.env["TICKETING_TEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A command-line number that must be above zero; anything else ends the process with exit code 2 (usage). */
export function positiveFlag(tool: string, name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`${tool}: --${name} must be a positive number, not "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

export interface Database {
  name: string;
  url: string;
  /** A connection to this database for the bench's own checks. */
  client: pg.Client;
  drop(): Promise<void>;
}

/** An empty database named `<prefix>_<random>` on the admin server; `drop()` removes it (closing stray connections). */
export async function createDatabase(prefix = "ticketing_onsale"): Promise<Database> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await withAdmin((admin) => admin.query(`create database ${name}`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    name,
    url: url.toString(),
    client,
    async drop() {
      await client.end().catch(() => undefined);
      await withAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

export async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Deletes the topics of a run's Kafka namespace, so repeated runs do not pile partitions up on the broker. */
export async function deleteKafkaNamespace(namespace: string): Promise<void> {
  const admin = new Admin({ clientId: "bench-onsale", bootstrapBrokers: KAFKA_BROKERS.split(","), retries: 2, timeout: 5000 });
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Proc {
  name: string;
  pid: number;
  port: number;
  url: string;
  logFile: string;
  /** Settles with the exit code (null after a signal) once the process has ended, however it ended. */
  exited: Promise<number | null>;
  stop(): Promise<"exited" | "killed">;
}

export interface SpawnOptions {
  name: string;
  /** Script and arguments after `node [nodeArgs]`. */
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  logDir: string;
  nodeArgs?: string[];
  /** How to tell it is serving: GET /readyz answers 200, or the process prints `ready <port>`. */
  ready: "readyz" | "stdout";
}

/** Starts a Node process and resolves once it serves; its output goes to a log file shown if it fails. */
export async function startProc(options: SpawnOptions): Promise<Proc> {
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...options.args], {
    env: options.env,
    stdio: ["ignore", options.ready === "stdout" ? "pipe" : log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const url = `http://127.0.0.1:${options.port}`;
  const proc: Proc = {
    name: options.name,
    pid: child.pid as number,
    port: options.port,
    url,
    logFile,
    exited,
    stop: () => stopChild(child, exited),
  };

  const failure = (why: string) => {
    void proc.stop();
    return new Error(`${options.name} ${why}; last lines of ${logFile}:\n${tail(logFile, 15)}`);
  };
  if (options.ready === "stdout") {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => lines.on("line", (line) => line.startsWith("ready") && resolve(true))),
      exited.then(() => false),
      sleep(60_000).then(() => false),
    ]);
    // Keep draining its stdout so a chatty process never blocks on a full pipe.
    lines.on("line", () => undefined);
    if (!ready) throw failure(exitCode === undefined ? "did not print `ready` within 60 s" : `exited with code ${exitCode}`);
    return proc;
  }
  for (const until = Date.now() + 60_000; ; ) {
    if (exitCode !== undefined) throw failure(`exited with code ${exitCode} before it was ready`);
    if (Date.now() > until) throw failure("was not ready within 60 s");
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return proc;
    await sleep(100);
  }
}

/**
 * SIGTERM (the servers drain and exit), then SIGKILL after 10 s. Says which it took: a killed process leaves no
 * CPU profile behind.
 */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<"exited" | "killed"> {
  if (child.exitCode !== null || child.signalCode !== null) return "exited";
  child.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (done) return "exited";
  child.kill("SIGKILL");
  await exited;
  return "killed";
}

/**
 * The servers' environment: this process's without any TICKETING_* variable (nor the DATABASE_URL and KAFKA_BROKERS
 * aliases), plus `vars`, so a developer's own settings never leak into a run.
 */
export function serverEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("TICKETING_") && k !== "DATABASE_URL" && k !== "KAFKA_BROKERS") env[k] = v;
  }
  return { ...env, ...vars };
}

/** One server process to run: `main.js <service>` (a service name or "all") on its own port. */
export interface ServicePlan {
  name: string;
  service: string;
  port: number;
}

/** The base URLs of each service in a plan ("all" serves every service), in plan order. */
export function serviceUrls(plan: readonly ServicePlan[]): Record<"event" | "booking" | "checkout" | "notification", string[]> {
  const of = (service: string) => plan.filter((p) => p.service === service || p.service === "all").map((p) => `http://127.0.0.1:${p.port}`);
  return { event: of("event"), booking: of("booking"), checkout: of("checkout"), notification: of("notification") };
}

/**
 * How to start each process of a plan as an operator would: `main.js <service> --migrate` on its port, every
 * process told where the others are (TICKETING_<SERVICE>_URL lists every replica), ready once /readyz says 200.
 * Starting one again with the same options restarts it with the same port and environment.
 */
export function serviceSpawns(
  main: string,
  plan: readonly ServicePlan[],
  env: NodeJS.ProcessEnv,
  logDir: string,
  nodeArgs: string[] = [],
): SpawnOptions[] {
  const urls = serviceUrls(plan);
  const urlEnv = {
    TICKETING_EVENT_URL: urls.event.join(","),
    TICKETING_BOOKING_URL: urls.booking.join(","),
    TICKETING_CHECKOUT_URL: urls.checkout.join(","),
    TICKETING_NOTIFICATION_URL: urls.notification.join(","),
  };
  return plan.map((p) => ({
    name: p.name,
    args: [main, p.service, "--migrate"],
    env: { ...env, ...urlEnv, TICKETING_PORT: String(p.port) },
    port: p.port,
    logDir,
    nodeArgs,
    ready: "readyz" as const,
  }));
}

/** Starts processes side by side; if any fails, stops the ones that did start and throws the first failure. */
export async function startAll(spawns: readonly SpawnOptions[]): Promise<Proc[]> {
  const started = await Promise.allSettled(spawns.map((s) => startProc(s)));
  const procs = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await Promise.all(procs.map((p) => p.stop()));
    throw failed.reason;
  }
  return procs;
}

/** Runs a Node script to completion (migrations); throws with its output if it fails. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited with ${code}:\n${output}`);
  return output;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens: signed here (HS256 over node:crypto) rather than through the servers' TokenAuthority, so that an older
// build run with --root is given exactly what any client would send.

export async function mintToken(secret: string, sub: string, role: "admin" | "customer" | "service"): Promise<string> {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ role, sub, iss: "ticketing", iat: now, exp: now + 6 * 3600 })}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU from /proc/<pid>/stat: utime + stime in clock ticks, summed per group of processes.

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  ticks: number;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses; the fields after its last ")" do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** A named set of processes whose CPU is summed; `pids` is asked at every sample, so groups may change. */
export interface CpuGroup {
  label: string;
  pids(): number[];
}

export interface CpuSample {
  at: number;
  ticks: Map<string, Map<number, number>>;
}

export function sampleCpu(groups: readonly CpuGroup[]): CpuSample {
  const ticks = new Map<string, Map<number, number>>();
  for (const group of groups) {
    const byPid = new Map<number, number>();
    for (const pid of group.pids()) {
      const stat = procStat(pid);
      if (stat) byPid.set(pid, stat.ticks);
    }
    ticks.set(group.label, byPid);
  }
  return { at: performance.now(), ticks };
}

export interface CpuUse {
  label: string;
  /** Average cores busy over the window (1.0 = one core all the time); undefined when no process was found. */
  cores: number | undefined;
}

/**
 * CPU per group between two samples. A process that started inside the window counts from zero; one that ended
 * inside it is missed (the servers' pools keep their connections, so this is rare).
 */
export function cpuBetween(a: CpuSample, b: CpuSample): { seconds: number; use: CpuUse[] } {
  const seconds = (b.at - a.at) / 1000;
  const use: CpuUse[] = [];
  for (const [label, after] of b.ticks) {
    const before = a.ticks.get(label) ?? new Map<number, number>();
    if (after.size === 0) {
      use.push({ label, cores: undefined });
      continue;
    }
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    use.push({ label, cores: ticks / CLK_TCK / seconds });
  }
  return { seconds, use };
}

/** Every process of the local PostgreSQL server: the postmaster and its children (backends, WAL writer, …). */
export async function postgresGroup(): Promise<CpuGroup> {
  // Read while the connection is open: its backend process exits with it.
  const postmaster = await withAdmin(async (admin) => {
    const backend = (await admin.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid;
    return backend === undefined ? undefined : procStat(backend)?.ppid;
  });
  return {
    label: "postgres",
    pids: () => {
      if (postmaster === undefined || !procStat(postmaster)) return [];
      return [postmaster, ...allPids().filter((pid) => procStat(pid)?.ppid === postmaster)];
    },
  };
}

/** The local Kafka broker: the java process running kafka.Kafka. */
export function kafkaPid(): number | undefined {
  for (const pid of allPids()) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("kafka.Kafka\0")) return pid;
    } catch {
      // gone already
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The Go driver

export interface DriverEvent {
  event: string;
  tMs: number;
  [more: string]: unknown;
}

/**
 * Runs bench/driver with `config` on stdin. `onEvent` is called synchronously for each phase line as it arrives
 * (so a CPU sample lands on the phase boundary); the promise resolves with the final "result" line.
 */
export async function runDriver<T>(config: object, onEvent: (event: DriverEvent) => void, onStart?: (pid: number) => void): Promise<T> {
  if (!existsSync(DRIVER)) throw new Error(`${DRIVER} is missing: build it with \`make bench-onsale\` (go build)`);
  const child = spawn(DRIVER, [], { stdio: ["pipe", "pipe", "pipe"] });
  onStart?.(child.pid as number);
  let result: T | undefined;
  const stderr: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const message = JSON.parse(line) as DriverEvent;
    if (message.event === "result") result = message as unknown as T;
    else onEvent(message);
  });
  createInterface({ input: child.stderr }).on("line", (line) => {
    stderr.push(line);
    process.stderr.write(`  ${line}\n`);
  });
  child.stdin.end(JSON.stringify(config));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0 || result === undefined) {
    throw new Error(`the driver exited with ${code}: ${stderr.slice(-5).join("\n")}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The machine

export async function describeMachine(): Promise<string> {
  const pgVersion = await withAdmin(async (admin) => {
    const { rows } = await admin.query<{ v: string }>("select current_setting('server_version') as v");
    return rows[0]?.v.split(" ")[0] ?? "?";
  }).catch(() => "?");
  const kafka = kafkaPid();
  let kafkaVersion = "?";
  if (kafka !== undefined) {
    const cmdline = readFileSync(`/proc/${kafka}/cmdline`, "utf8");
    kafkaVersion = /kafka(?:_\d+\.\d+)?-(\d+\.\d+\.\d+)/.exec(cmdline)?.[1] ?? "?";
  }
  const model = cpus()[0]?.model.trim() ?? "?";
  const memory = `${Math.round(totalmem() / 2 ** 30)} GB`;
  return `nproc ${availableParallelism()}, ${model}, ${memory}, Node ${process.version}, PostgreSQL ${pgVersion}, Kafka ${kafkaVersion}`;
}

/**
 * Which servers a run measured: the last commit that changed them (servers, SDK or protos; the bench's own files
 * do not count), HEAD, and whether the work tree has changes to them.
 */
export function commitOf(root: string): string {
  const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
  try {
    const paths = ["--", "packages/servers/src", "packages/sdk/src", "proto", ":!packages/servers/src/bench"];
    const changed = git("log", "-1", "--format=%h %s", ...paths);
    const head = git("rev-parse", "--short", "HEAD");
    const dirty = git("status", "--porcelain", ...paths) !== "";
    const subject = changed.length > 72 ? `${changed.slice(0, 71)}…` : changed;
    return `${subject} (HEAD ${head}${dirty ? ", with uncommitted changes to the servers" : ""})`;
  } catch {
    return "(not a git checkout)";
  }
}
