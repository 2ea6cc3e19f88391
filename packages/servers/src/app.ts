import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { health, reflection } from "@ticketing/sdk/grpc";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { TokenAuthority } from "./platform/auth.js";
import { KafkaBus } from "./platform/kafka-bus.js";
import { InProcessBus, type Bus, type Subscription } from "./platform/bus.js";
import { inProcessClient, serviceClient } from "./platform/clients.js";
import type { Config } from "./platform/config.js";
import { assertMigrated, migrate, openOrm, startEmbeddedPostgres, type EmbeddedPostgres, type Orm } from "./platform/db.js";
import { DEV_SIGN_IN_PATH, devSignIn } from "./platform/dev-signin.js";
import { HealthState } from "./platform/health.js";
import { authInterceptor, ERROR_DETAILS, observabilityInterceptor } from "./platform/interceptors.js";
import { Metrics, metricsInterceptor } from "./platform/metrics.js";
import type { Logger } from "./platform/logger.js";
import { everyJob, type ApiOf, type Job, type RunningService } from "./platform/module.js";
import { OutboxRelay } from "./platform/outbox.js";
import { keepsRequestKeys } from "./platform/request-key-entities.js";
import { reflectionRoutes } from "./platform/reflection.js";
import { startRpcServer, type PostHandler } from "./platform/server.js";
import { textInterceptor } from "./platform/text.js";
import { forgetOldKeys, idempotencyInterceptor, type KeyStore } from "./platform/idempotency.js";
import { tracingEnabled } from "./platform/trace-state.js";
import { traceQueries, tracedSubscriptions, tracingClientInterceptor, tracingServerInterceptor } from "./platform/tracing.js";
import { ACCESS, serviceNamed, SERVICES, type AnyService, type ServiceName } from "./services.js";

// The composition root: starts the services of src/services.ts that a process runs, on the platform's parts. It
// knows the services only through their modules (platform/module.ts).

/** How often each service's old idempotency keys are deleted. */
const KEY_CLEAN_UP_EVERY_MS = 60 * 60_000;

/** The port a process of these services listens on: TICKETING_PORT, else the one service's own, else 50600. */
export function listenPort(config: Config, services: readonly ServiceName[]): number {
  return config.port ?? (services.length === 1 ? serviceNamed(services[0] as ServiceName).port : 50600);
}

export interface PlatformOptions {
  services: readonly ServiceName[];
  config: Config;
  logger: Logger;
  /** Apply pending migrations before starting (always done in embedded mode). */
  migrate?: boolean;
  /** A bus to use instead of the in-process one (tests share one between platforms). */
  bus?: Bus;
}

/** The use cases of each service the process runs, by service name (for tests and tools). */
type ServiceApis = { readonly [M in AnyService as M["name"]]?: ApiOf<M> };

/** A running process: its address, its token authority, and the services in it (for tests and tools). */
export interface Platform extends ServiceApis {
  readonly url: string;
  readonly port: number;
  readonly embedded: boolean;
  readonly tokens: TokenAuthority;
  readonly jwtSecret: string;
  readonly bus: Bus;
  readonly orms: Partial<Record<ServiceName, Orm>>;
  /** Outbox relays by schema, for lag and tests. */
  readonly relays: Partial<Record<ServiceName, OutboxRelay>>;
  /** The process's Prometheus metrics (GET /metrics). */
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Starts the given services in this process on one port: databases (embedded when no URL is configured),
 * migrations check, the RPC server with health and reflection, outbox relays, each service's jobs and its
 * consumers. Everything started is stopped by `close()`, in reverse order.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, logger } = options;
  const modules = SERVICES.filter((s) => options.services.includes(s.name));
  const services = modules.map((m) => m.name);
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) {
      await step().catch((err: unknown) => logger.warn({ err }, "shutdown step failed"));
    }
    cleanup.length = 0;
  };
  const databaseUrl = (name: ServiceName) => config.databaseUrls[name] ?? config.databaseUrl;

  try {
    const embedded = services.some((s) => databaseUrl(s) === undefined);
    let pg: EmbeddedPostgres | undefined;
    if (embedded) {
      pg = await startEmbeddedPostgres(config.dataDir);
      cleanup.push(() => (pg as EmbeddedPostgres).close());
      logger.info({ dataDir: config.dataDir ?? "(in memory)" }, "embedded PostgreSQL started");
    }
    const jwtSecret = config.jwtSecret ?? (await embeddedSecret(config.dataDir));
    const tokens = new TokenAuthority(jwtSecret, {}, {
      issuer: config.jwtIssuer,
      ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
      ...(config.oidc ? { external: config.oidc } : {}),
    });
    const bus =
      options.bus ??
      (config.kafkaBrokers.length > 0
        ? await KafkaBus.connect({
            brokers: config.kafkaBrokers,
            clientId: `ticketing-${services.join("-")}`,
            partitions: config.kafkaPartitions,
            namespace: config.kafkaNamespace,
            sessionTimeoutMs: config.kafkaSessionTimeoutMs,
            ...(config.kafkaGroupInstanceId ? { groupInstanceId: config.kafkaGroupInstanceId } : {}),
            logger: logger.child({ component: "kafka" }),
          })
        : new InProcessBus(logger.child({ component: "bus" })));
    if (!options.bus) cleanup.push(() => bus.close());

    const metrics = new Metrics();
    const orms: Partial<Record<ServiceName, Orm>> = {};
    for (const { name, schema } of modules) {
      const url = databaseUrl(name) ?? (pg as EmbeddedPostgres).url;
      const pool = embedded ? Math.min(config.dbPoolSize, 3) : config.dbPoolSize;
      const orm = await openOrm(schema, url, pool, logger, databaseUrl(name) === undefined);
      cleanup.push(() => orm.close());
      if (embedded || options.migrate) {
        const applied = await migrate(orm, schema);
        if (applied.length > 0) logger.info({ service: name, applied }, "migrations applied");
      } else {
        await assertMigrated(orm, schema);
      }
      orms[name] = orm;
      metrics.watchPool(name, orm);
      if (tracingEnabled()) traceQueries(await orm.em.getConnection().getNativeClient());
    }

    // Calls between services go through the SDK like any client's, with a short-lived service token.
    let serviceToken: { value: string; until: number } | undefined;
    const token = async () => {
      if (!serviceToken || serviceToken.until < Date.now()) {
        serviceToken = {
          value: await tokens.mint({ sub: `${services.join("+")}-service`, role: "service" }, 3600),
          until: Date.now() + 30 * 60_000,
        };
      }
      return serviceToken.value;
    };
    const routes: ((router: ConnectRouter) => void)[] = [];
    const keyStores = new Map<string, KeyStore>();
    for (const m of modules) {
      if (keepsRequestKeys(m.schema.entities)) keyStores.set(m.descriptor.typeName, { em: (orms[m.name] as Orm).em.fork(), schema: m.schema.schema });
    }
    // With tracing on, calls carry W3C trace context (traceparent) from client to server, in memory as over the network.
    const tracing = tracingEnabled();
    const serverInterceptors = [
      ...(tracing ? [tracingServerInterceptor()] : []),
      metricsInterceptor(metrics),
      observabilityInterceptor(logger),
      authInterceptor(tokens, ACCESS),
      textInterceptor(),
      idempotencyInterceptor(keyStores),
    ];
    const clientInterceptors = tracing ? [tracingClientInterceptor()] : [];
    const local = inProcessClient(() => routes, serverInterceptors, token, config.rpcTimeoutMs, clientInterceptors);
    // A service in this process is called in memory; one elsewhere over the network. The same SDK clients either way.
    const client = (target: string) => {
      if (services.includes(target as ServiceName)) return local;
      const urls = () => config.serviceUrls[target] ?? [`http://127.0.0.1:${serviceNamed(target as ServiceName).port}`];
      return serviceClient(urls, token, config.rpcTimeoutMs, clientInterceptors);
    };

    const relays: Partial<Record<ServiceName, OutboxRelay>> = {};
    const relayFor = (name: ServiceName) => {
      const published = metrics.outboxPublished.labels(name);
      const relay = new OutboxRelay(orms[name] as Orm, {
        schema: name,
        bus,
        logger: logger.child({ relay: name }),
        onPublished: (count) => published.inc(count),
      });
      relays[name] = relay;
      metrics.watchOutbox({ service: name, lag: () => relay.lag() });
      return relay;
    };

    let serverUrl = "";
    const running: { module: AnyService; service: RunningService<unknown> }[] = [];
    for (const module of modules) {
      const relay = module.publishes ? relayFor(module.name) : undefined;
      const service: RunningService<unknown> = await module.start({
        em: (orms[module.name] as Orm).em,
        config,
        logger: logger.child({ service: module.name }),
        metrics,
        embedded,
        client,
        wakeOutbox: () => relay?.wake(),
        serverUrl: () => serverUrl,
        onClose: (step) => cleanup.push(step),
      });
      running.push({ module, service });
      routes.push((router) => service.routes(router));
    }

    const posts: Record<string, PostHandler> = {};
    for (const { service } of running) Object.assign(posts, service.posts);
    if (config.devSignIn && embedded) posts[DEV_SIGN_IN_PATH] = devSignIn(tokens);

    const descriptors = modules.map((m) => m.descriptor);
    const health = new HealthState(descriptors.map((d) => d.typeName));
    const server = await startRpcServer(config.host, listenPort(config, services), {
      routes: (router) => {
        for (const r of routes) r(router);
        health.routes(router);
        reflectionRoutes([...descriptors, ...grpcDescriptors()], ERROR_DETAILS.map((d) => d.file))(router);
      },
      interceptors: serverInterceptors,
      maxRequestBytes: config.maxRequestBytes,
      corsOrigins: config.corsOrigins,
      posts,
      health,
      logger,
      metrics,
    });
    serverUrl = server.url;
    cleanup.push(() => server.close());
    cleanup.push(async () => health.setServing(false));

    for (const relay of Object.values(relays)) {
      relay.start();
      cleanup.push(() => relay.stop());
    }
    // Each service's jobs, and for every service that keeps idempotency keys, forgetting the old ones (hourly).
    const keyJobs: Job[] = [...keyStores].map(([typeName, store]) =>
      everyJob(`forget-keys ${store.schema}`, KEY_CLEAN_UP_EVERY_MS, () => forgetOldKeys(store, config.idempotencyRetentionSeconds), logger.child({ service: typeName })),
    );
    for (const job of [...keyJobs, ...running.flatMap(({ service }) => service.jobs ?? [])]) {
      const started = job.start();
      cleanup.push(async () => started.stop());
    }

    // The jobs above do not wait for the consumers: a restarted process may wait out a dead member's session before
    // its group lets it in, and meanwhile the sweeper and the reconciler must go on.
    const subscriptions: Subscription[] = [];
    cleanup.push(async () => {
      for (const s of subscriptions) await s.close();
    });
    const consumerBus = tracedSubscriptions(bus);
    for (const { module, service } of running) {
      const consumer = service.consumer;
      if (!consumer) continue;
      const typeName = module.descriptor.typeName;
      const subscription = await consumer.subscribe(consumerBus, (up) => {
        health.setDependency(typeName, consumer.name, up);
        logger[up ? "info" : "warn"]({ service: typeName, dependency: consumer.name }, up ? "dependency back" : "dependency down");
      });
      subscriptions.push(subscription);
      watchLag(metrics, subscription);
    }
    health.setServing(true);
    logger.info({ url: server.url, services }, "ticketing services serving");
    return {
      url: server.url,
      port: server.port,
      embedded,
      tokens,
      jwtSecret,
      bus,
      orms,
      relays,
      metrics,
      ...Object.fromEntries(running.map(({ module, service }) => [module.name, service.api])),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The embedded mode's signing secret: random, and kept next to the data directory when there is one, so tokens
 * (and the ticketctl context) stay valid across restarts of a persistent embedded platform.
 */
async function embeddedSecret(dataDir: string | undefined): Promise<string> {
  if (!dataDir) return randomBytes(32).toString("base64url");
  const file = `${dataDir.replace(/\/+$/, "")}.jwt-secret`;
  try {
    const kept = (await readFile(file, "utf8")).trim();
    if (kept.length >= 32) return kept;
  } catch {
    // first start: make one
  }
  const secret = randomBytes(32).toString("base64url");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function watchLag(metrics: Metrics, subscription: Subscription): void {
  const lag = subscription.lag?.bind(subscription);
  if (lag && subscription.group) metrics.watchConsumer({ group: subscription.group, lag });
}

function grpcDescriptors(): DescService[] {
  return [health.Health, reflection.ServerReflection];
}
