// What the fault-injection suite stands on: a Kafka broker of its own (scripts/kafka.sh on another port and data
// directory, so SIGKILL hits nobody else's), a database of its own, and the four services as separate processes
// that can be killed, restarted with the same port and environment, stopped and continued. The process plumbing
// is the on-sale bench's (bench/onsale-infra.ts).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  REPO_ROOT,
  freePort,
  runNode,
  serverEnv,
  serviceSpawns,
  serviceUrls,
  sleep,
  startAll,
  startProc,
  type Database,
  type Proc,
  type ServicePlan,
  type SpawnOptions,
} from "../bench/onsale-infra.js";

const run = promisify(execFile);
export const MAIN = join(REPO_ROOT, "packages/servers/dist/main.js");
const KAFKA_SH = join(REPO_ROOT, "scripts/kafka.sh");

export const SERVICES = ["event", "booking", "checkout", "notification"] as const;
export type Service = (typeof SERVICES)[number];

/** Whether a process is gone (or a zombie waiting to be reaped: kill -0 still succeeds on those). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A single-node broker run by scripts/kafka.sh; its controller listens on port + 1, which must be free too. */
export class Broker {
  private constructor(
    readonly port: number,
    readonly runDir: string,
  ) {}

  static async create(runDir: string): Promise<Broker> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await freePort();
      if (port < 65535 && (await portFree(port + 1))) return new Broker(port, runDir);
    }
    throw new Error("no free pair of ports for the suite's Kafka broker");
  }

  /** Stops a broker an earlier run left in `runDir` (that run was killed before it could), by its pid file. */
  static async stopLeftOver(runDir: string): Promise<void> {
    await run(KAFKA_SH, ["stop"], { env: { ...process.env, TICKETING_KAFKA_RUN_DIR: runDir }, timeout: 60_000 });
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  #script(command: "start" | "stop") {
    return run(KAFKA_SH, [command], {
      env: { ...process.env, TICKETING_KAFKA_PORT: String(this.port), TICKETING_KAFKA_RUN_DIR: this.runDir },
      timeout: 180_000,
    });
  }

  /** Starts the broker (or starts it again on the same port and data after a kill) and waits until it answers. */
  async start(): Promise<void> {
    await this.#script("start");
  }

  async stop(): Promise<void> {
    await this.#script("stop");
  }

  pid(): number | undefined {
    try {
      return Number(readFileSync(join(this.runDir, "broker.pid"), "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9, then waits until the process is really gone and its port closed. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) throw new Error("the suite's broker has no pid file");
    process.kill(pid, "SIGKILL");
    for (const until = Date.now() + 10_000; !gone(pid) || !(await portFree(this.port)); ) {
      if (Date.now() > until) throw new Error(`the broker (pid ${pid}) did not go away after SIGKILL`);
      await sleep(50);
    }
  }
}

/** The settings every service process runs with; one place, so a restart gets exactly the same ones. */
export interface ServiceSettings {
  db: Database;
  broker: Broker;
  secret: string;
  holdTtlSeconds: number;
  logDir: string;
  /** More variables for every process (to try a setting, such as a shorter Kafka session timeout). */
  extraEnv?: Record<string, string>;
}

/**
 * The four services as separate processes on fixed ports. Ports are chosen once, so a restarted process comes
 * back where the others (and the buyers) expect it.
 */
export class Services {
  readonly #spawns: Map<Service, SpawnOptions>;
  readonly #procs = new Map<Service, Proc>();
  readonly #paused = new Set<Service>();
  readonly urls: Record<Service, string>;

  private constructor(plan: ServicePlan[], settings: ServiceSettings) {
    const env = serverEnv({
      TICKETING_DATABASE_URL: settings.db.url,
      TICKETING_JWT_SECRET: settings.secret,
      TICKETING_KAFKA_BROKERS: settings.broker.address,
      TICKETING_KAFKA_PARTITIONS: "3",
      TICKETING_HOLD_TTL: `${settings.holdTtlSeconds}s`,
      TICKETING_EXPIRY_CRON: "* * * * * *",
      TICKETING_LOG_LEVEL: "warn",
      ...settings.extraEnv,
    });
    const spawns = serviceSpawns(MAIN, plan, env, settings.logDir);
    this.#spawns = new Map(spawns.map((s) => [s.name as Service, s]));
    const urls = serviceUrls(plan);
    this.urls = { event: urls.event[0]!, booking: urls.booking[0]!, checkout: urls.checkout[0]!, notification: urls.notification[0]! };
  }

  /** Applies the migrations once (several processes migrating at once would race) and plans the ports. */
  static async prepare(settings: ServiceSettings): Promise<Services> {
    const plan: ServicePlan[] = [];
    for (const service of SERVICES) plan.push({ name: service, service, port: await freePort() });
    const services = new Services(plan, settings);
    await runNode([MAIN, "migrate"], services.#spawns.get("event")!.env);
    return services;
  }

  /** Starts every service that is not running, side by side, and waits until each answers /readyz with 200. */
  async startAll(): Promise<void> {
    const missing = SERVICES.filter((s) => !this.#procs.has(s));
    const procs = await startAll(missing.map((s) => this.#spawns.get(s)!));
    for (const p of procs) this.#procs.set(p.name as Service, p);
  }

  /** kill -9 and waits for the exit. */
  async kill(service: Service): Promise<void> {
    const proc = this.#proc(service);
    process.kill(proc.pid, "SIGKILL");
    await proc.exited;
    this.#procs.delete(service);
  }

  /** Starts a service again with the same port and environment; resolves once /readyz says 200. */
  async restart(service: Service): Promise<void> {
    if (this.#procs.has(service)) throw new Error(`${service} is still running`);
    this.#procs.set(service, await startProc(this.#spawns.get(service)!));
  }

  pause(service: Service): void {
    process.kill(this.#proc(service).pid, "SIGSTOP");
    this.#paused.add(service);
  }

  resume(service: Service): void {
    process.kill(this.#proc(service).pid, "SIGCONT");
    this.#paused.delete(service);
  }

  /**
   * SIGTERM to every process (a paused one is continued first, or it could not act on it); SIGKILL after 10 s.
   * Returns the services that had to be killed: a clean shutdown is part of what is checked.
   */
  async stopAll(): Promise<Service[]> {
    for (const s of this.#paused) process.kill(this.#proc(s).pid, "SIGCONT");
    this.#paused.clear();
    const procs = [...this.#procs.entries()];
    const how = await Promise.all(procs.map(([, p]) => p.stop()));
    this.#procs.clear();
    return procs.filter((_, i) => how[i] === "killed").map(([s]) => s);
  }

  /** Each service's /readyz: 200 or not (a paused process does not answer within the second it gets). */
  async readiness(): Promise<Record<Service, boolean>> {
    const answers = await Promise.all(
      SERVICES.map((s) =>
        fetch(`${this.urls[s]}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.status === 200;
          },
          () => false,
        ),
      ),
    );
    return Object.fromEntries(SERVICES.map((s, i) => [s, answers[i]])) as Record<Service, boolean>;
  }

  pid(service: Service): number | undefined {
    return this.#procs.get(service)?.pid;
  }

  logFile(service: Service): string {
    return join(this.#spawns.get(service)!.logDir, `${service}.log`);
  }

  #proc(service: Service): Proc {
    const proc = this.#procs.get(service);
    if (!proc) throw new Error(`${service} is not running`);
    return proc;
  }
}

export const newSecret = () => randomBytes(32).toString("base64url");
