import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Pool } from "pg";
import type { PartitionLag } from "./bus.js";
import type { Orm } from "./db.js";


/** What the consumer-lag gauge asks at each scrape. */
export interface LagSource {
  group: string;
  lag(): Promise<PartitionLag[]>;
}

/** What the outbox gauges ask at each scrape. */
export interface OutboxSource {
  service: string;
  lag(): Promise<{ pending: number; oldestSeconds: number }>;
}

/** A slow source (a broker that stopped answering) must not hold a scrape up. */
const SOURCE_TIMEOUT_MS = 2_000;

/** RPC latency buckets, in seconds: from an answer out of memory to a call that waited out a deadline. */
const RPC_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one process (one registry, served at GET /metrics). Label values are drawn from small
 * fixed sets — service and method names, gRPC codes, order statuses, topics and partitions — never from ids, so the
 * number of series does not grow with traffic. Gauges that describe shared state (outbox, pools, consumer lag) are
 * read when scraped, not kept up to date on the hot path.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #outboxes: OutboxSource[] = [];
  readonly #pools: { service: string; pool: Promise<Pool> }[] = [];
  readonly #lags: LagSource[] = [];

  readonly rpcRequests = new Counter({
    name: "ticketing_rpc_requests_total",
    help: "RPCs answered, by service, method and gRPC code (OK or the error's code).",
    labelNames: ["service", "method", "code"] as const,
    registers: [this.registry],
  });
  readonly rpcDuration = new Histogram({
    name: "ticketing_rpc_duration_seconds",
    help: "Time to answer a unary RPC (or to end a stream), by service and method, in seconds.",
    labelNames: ["service", "method"] as const,
    buckets: RPC_BUCKETS,
    registers: [this.registry],
  });
  readonly outboxPublished = new Counter({
    name: "ticketing_outbox_published_total",
    help: "Outbox events published to the bus and marked published, by service.",
    labelNames: ["service"] as const,
    registers: [this.registry],
  });
  readonly holdSweeps = new Counter({
    name: "ticketing_hold_sweeps_total",
    help: "Runs of the hold-expiry sweep.",
    registers: [this.registry],
  });
  readonly holdsExpired = new Counter({
    name: "ticketing_holds_expired_total",
    help: "Holds the expiry sweep expired (their stock returned).",
    registers: [this.registry],
  });
  readonly soldOutRejections = new Counter({
    name: "ticketing_sold_out_rejections_total",
    help: "Calls refused RESOURCE_EXHAUSTED for lack of stock, by the service that answered (checkout: buyers' AddToCart and PlaceOrder; booking: CreateBooking).",
    labelNames: ["service"] as const,
    registers: [this.registry],
  });
  readonly orders = new Counter({
    name: "ticketing_orders_total",
    help: "Orders that reached a status (PENDING_PAYMENT, PAID, CANCELLED, EXPIRED, FAILED).",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly ordersReconciled = new Counter({
    name: "ticketing_orders_reconciled_total",
    help: "Orders repaired to agree with booking's holds.",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "ticketing_" });
    const outboxes = this.#outboxes;
    const outboxGauge = (name: string, help: string, pick: (lag: { pending: number; oldestSeconds: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["service"] as const,
        registers: [this.registry],
        async collect() {
          for (const source of outboxes) {
            const lag = await bounded(source.lag());
            if (lag) this.set({ service: source.service }, pick(lag));
          }
        },
      });
    outboxGauge("ticketing_outbox_pending", "Events committed to the outbox and not yet published, by service.", (l) => l.pending);
    outboxGauge("ticketing_outbox_oldest_seconds", "Age of the oldest unpublished outbox event, by service, in seconds.", (l) => l.oldestSeconds);

    const pools = this.#pools;
    new Gauge({
      name: "ticketing_db_pool_in_use",
      help: "Database connections checked out of the pool, by service.",
      labelNames: ["service"] as const,
      registers: [this.registry],
      async collect() {
        for (const { service, pool } of pools) {
          const p = await pool;
          this.set({ service }, p.totalCount - p.idleCount);
        }
      },
    });
    new Gauge({
      name: "ticketing_db_pool_waiting",
      help: "Queries waiting for a free database connection, by service.",
      labelNames: ["service"] as const,
      registers: [this.registry],
      async collect() {
        for (const { service, pool } of pools) this.set({ service }, (await pool).waitingCount);
      },
    });

    const lags = this.#lags;
    new Gauge({
      name: "ticketing_consumer_lag",
      help: "Messages published and not yet consumed by this process's consumers, by group, topic and partition (assigned partitions only).",
      labelNames: ["group", "topic", "partition"] as const,
      registers: [this.registry],
      async collect() {
        // Partitions move between replicas: only what this process reads now is reported.
        this.reset();
        for (const source of lags) {
          for (const p of (await bounded(source.lag())) ?? []) {
            this.set({ group: source.group, topic: p.topic, partition: String(p.partition) }, p.lag);
          }
        }
      },
    });
  }

  /** Reports the outbox of `source.service` at each scrape. */
  watchOutbox(source: OutboxSource): void {
    this.#outboxes.push(source);
  }

  /** Reports the connection pool of `service`'s database at each scrape. */
  watchPool(service: string, orm: Orm): void {
    const pool = orm.em.getConnection().getNativeClient() as Promise<Pool>;
    pool.catch(() => undefined);
    this.#pools.push({ service, pool });
  }

  /** Reports the lag of a consumer group's subscription at each scrape. */
  watchConsumer(source: LagSource): void {
    this.#lags.push(source);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

async function bounded<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), SOURCE_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** "checkout" for ticketing.checkout.v1.CheckoutService; other services (health, reflection) by their full name. */
function serviceLabel(typeName: string): string {
  const m = /^ticketing\.([a-z]+)\.v\d+\./.exec(typeName);
  return m ? (m[1] as string) : typeName;
}

/**
 * The outermost server interceptor: counts every call by service, method and final code, and times it. It sits
 * outside the one that maps errors, so it sees the code the client sees. The labelled series are looked up once per
 * method and code, not built on every call.
 */
export function metricsInterceptor(metrics: Metrics): Interceptor {
  type Series = { duration: ReturnType<Metrics["rpcDuration"]["labels"]>; codes: Map<string, ReturnType<Metrics["rpcRequests"]["labels"]>> };
  const byPath = new Map<string, Series>();
  const seriesOf = (service: string, method: string): Series => {
    const path = `${service}/${method}`;
    let series = byPath.get(path);
    if (!series) {
      series = { duration: metrics.rpcDuration.labels(serviceLabel(service), method), codes: new Map() };
      byPath.set(path, series);
    }
    return series;
  };
  const record = (series: Series, req: { service: { typeName: string }; method: { name: string } }, code: string, started: number) => {
    series.duration.observe((performance.now() - started) / 1000);
    let counter = series.codes.get(code);
    if (!counter) {
      counter = metrics.rpcRequests.labels(serviceLabel(req.service.typeName), req.method.name, code);
      series.codes.set(code, counter);
    }
    counter.inc();
  };
  return (next) => async (req) => {
    const started = performance.now();
    const series = seriesOf(req.service.typeName, req.method.name);
    let res;
    try {
      res = await next(req);
    } catch (err) {
      const code = codeOf(err);
      record(series, req, code, started);
      if (code === "ResourceExhausted" && isSoldOut(err)) metrics.soldOutRejections.labels(serviceLabel(req.service.typeName)).inc();
      throw err;
    }
    if (!res.stream) {
      record(series, req, "OK", started);
      return res;
    }
    const message = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* message;
          record(series, req, "OK", started);
        } catch (err) {
          record(series, req, codeOf(err), started);
          throw err;
        }
      })(),
    };
  };
}

const codeOf = (err: unknown): string => (err instanceof ConnectError ? Code[err.code] ?? "Unknown" : "Internal");

/** A refusal carrying InsufficientStock details: stock ran out (not a rate limit or a too-large message). */
const isSoldOut = (err: unknown): boolean =>
  err instanceof ConnectError &&
  err.details.some((d) => ("desc" in d ? d.desc.typeName : d.type) === "ticketing.booking.v1.InsufficientStock");
