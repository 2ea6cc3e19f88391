import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { TicketingClient } from "@ticketing/sdk";
import type { Role } from "./auth.js";
import type { Bus, Subscription } from "./bus.js";
import type { Config } from "./config.js";
import type { Em, ServiceSchema } from "./db.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { PostHandler } from "./server.js";

// The shape every service folder exports, and what the process that runs it gives it. The composition root
// (src/app.ts) knows services only through this shape; the list of them is src/services.ts.

/** What a process gives a service it runs. */
interface ServiceContext {
  /** The service's own schema. */
  readonly em: Em;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** True when the databases are embedded (development). */
  readonly embedded: boolean;
  /** SDK clients for another service: in memory when it runs in this process, over the network otherwise. */
  client(service: string): TicketingClient;
  /** Publishes promptly what the service's outbox holds; call after a commit that wrote events. */
  wakeOutbox(): void;
  /** This process's base URL, known once it listens. */
  serverUrl(): string;
  /** Runs `step` when the process stops, before the databases close. */
  onClose(step: () => Promise<void>): void;
}

/** Background work a service runs once the process serves: started then, stopped at close. */
export interface Job {
  readonly name: string;
  start(): { stop(): Promise<void> | void };
}

/** A subscription to other services' events, under the name readiness reports it by while it is down. */
interface Consumer {
  readonly name: string;
  /** Subscribes; `onStateChange` tells the health service whether the events arrive. */
  subscribe(bus: Bus, onStateChange: (receiving: boolean) => void): Promise<Subscription>;
}

/** A service as a process runs it. `Api` is what tests and tools may reach in the process (its use cases). */
export interface RunningService<Api> {
  readonly api: Api;
  routes(router: ConnectRouter): void;
  /** Plain HTTP POST endpoints on the RPC port (webhooks), by path. */
  readonly posts?: Readonly<Record<string, PostHandler>>;
  readonly jobs?: readonly Job[];
  /** Its subscription to other services' events. */
  readonly consumer?: Consumer;
}

/** One service: its API, its schema, who may call what, and how to start it. */
export interface ServiceModule<Name extends string = string, Api = unknown> {
  readonly name: Name;
  readonly descriptor: DescService;
  readonly schema: ServiceSchema;
  /** Port of a process that runs this service alone. */
  readonly port: number;
  /**
   * Roles allowed per RPC, by method name. An RPC not listed is open to every authenticated caller, except to the
   * confined roles (CONFINED_ROLES), which reach only the RPCs that name them.
   */
  readonly roles: Readonly<Record<string, readonly Role[]>>;
  /** False for a service that publishes no events: its process runs no outbox relay for it. */
  readonly publishes: boolean;
  start(context: ServiceContext): Promise<RunningService<Api>>;
}

/** The API of a module, as its process exposes it. */
export type ApiOf<M> = M extends ServiceModule<string, infer Api> ? Api : never;

/** A job that runs `work` every `everyMs`; a run that outlasts the interval is not overlapped by the next. */
export function everyJob(name: string, everyMs: number, work: () => Promise<unknown>, logger: Logger): Job {
  return {
    name,
    start() {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        work()
          .catch((err: unknown) => logger.warn({ err, job: name }, "job failed"))
          .finally(() => (running = false));
      }, everyMs);
      timer.unref();
      return { stop: () => clearInterval(timer) };
    },
  };
}
