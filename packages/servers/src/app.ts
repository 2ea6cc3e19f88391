import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { admission as admissionPb, booking as bookingPb, checkout as checkoutPb, common as commonPb, event as eventPb, notification as notificationPb, payment as paymentPb } from "@ticketing/sdk";
import { health, reflection } from "@ticketing/sdk/grpc";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { admissionModule, admissionSchema, type AdmissionModule } from "./admission/index.js";
import { bookingSchema } from "./booking/index.js";
import { outboxBookingEvents } from "./booking/events.js";
import { bookingRoutes } from "./booking/routes.js";
import { startExpiryScheduler } from "./booking/scheduler.js";
import { BookingService } from "./booking/service.js";
import { checkoutSchema } from "./checkout/index.js";
import { consumeBookingEvents, outboxOrderEvents } from "./checkout/events.js";
import { bookingHolds, eventCatalogue } from "./checkout/gateways.js";
import { checkoutRoutes } from "./checkout/routes.js";
import { CheckoutService } from "./checkout/service.js";
import { pgOrderStore } from "./checkout/store.js";
import { eventSchema } from "./event/index.js";
import { bookingStock } from "./event/gateways.js";
import { eventRoutes } from "./event/routes.js";
import { EventService } from "./event/service.js";
import { emailChannel, logChannel, webhookChannel, type Channel } from "./notification/channels.js";
import { consumeOrderEvents, orderEventJson } from "./notification/events.js";
import { notificationSchema } from "./notification/index.js";
import { notificationRoutes } from "./notification/routes.js";
import { NotificationService } from "./notification/service.js";
import { pgNotificationStore } from "./notification/store.js";
import { admissionTickets, checkoutOrders } from "./payment/gateways.js";
import { paymentSchema } from "./payment/index.js";
import { TestPsp } from "./payment/providers/test-psp.js";
import { paymentRoutes } from "./payment/routes.js";
import { PaymentService } from "./payment/service.js";
import { TokenAuthority } from "./platform/auth.js";
import { KafkaBus } from "./platform/kafka-bus.js";
import { InProcessBus, type Bus, type Subscription } from "./platform/bus.js";
import { inProcessClient, serviceClient } from "./platform/clients.js";
import { DEFAULT_PORTS, type Config, type ServiceName } from "./platform/config.js";
import { assertMigrated, migrate, openOrm, startEmbeddedPostgres, type EmbeddedPostgres, type Orm, type ServiceSchema } from "./platform/db.js";
import { DEV_SIGN_IN_PATH, devSignIn } from "./platform/dev-signin.js";
import { HealthState } from "./platform/health.js";
import { authInterceptor, observabilityInterceptor } from "./platform/interceptors.js";
import { Metrics, metricsInterceptor } from "./platform/metrics.js";
import type { Logger } from "./platform/logger.js";
import { OutboxRelay } from "./platform/outbox.js";
import { reflectionRoutes } from "./platform/reflection.js";
import { startRpcServer, type PostHandler } from "./platform/server.js";
import { textInterceptor } from "./platform/text.js";
import { idempotencyInterceptor, type KeyStore } from "./platform/idempotency.js";
import { tracingEnabled } from "./platform/trace-state.js";
import { traceQueries, tracedSubscriptions, tracingClientInterceptor, tracingServerInterceptor } from "./platform/tracing.js";

/** How often checkout compares overdue orders with booking's holds, and how overdue an order must be. */
const RECONCILE_EVERY_MS = 10_000;
const RECONCILE_GRACE_MS = 15_000;

/** The services a process can run. */
export type RunnableService = ServiceName;
export const RUNNABLE: readonly RunnableService[] = ["event", "booking", "checkout", "notification", "admission", "payment"];

export const SCHEMAS: Record<RunnableService, ServiceSchema> = {
  event: eventSchema,
  booking: bookingSchema,
  checkout: checkoutSchema,
  notification: notificationSchema,
  admission: admissionSchema,
  payment: paymentSchema,
};
const DESCRIPTORS: Record<RunnableService, DescService> = {
  event: eventPb.EventService,
  booking: bookingPb.BookingService,
  checkout: checkoutPb.CheckoutService,
  notification: notificationPb.NotificationService,
  admission: admissionPb.AdmissionService,
  payment: paymentPb.PaymentService,
};

/**
 * The messages errors carry as details (see toConnectError). Reflection serves their files in every process, so a
 * process without the booking service can still describe the InsufficientStock its PlaceOrder refusals carry.
 */
export const ERROR_DETAILS: readonly DescMessage[] = [commonPb.BadRequestSchema, commonPb.StateConflictSchema, bookingPb.InsufficientStockSchema];

/** The port a process of these services listens on: TICKETING_PORT, else the one service's default, else 50600. */
export function listenPort(config: Config, services: readonly RunnableService[]): number {
  return config.port ?? (services.length === 1 ? DEFAULT_PORTS[services[0] as RunnableService] : 50600);
}

export interface PlatformOptions {
  services: readonly RunnableService[];
  config: Config;
  logger: Logger;
  /** Apply pending migrations before starting (always done in embedded mode). */
  migrate?: boolean;
  /** A bus to use instead of the in-process one (tests share one between platforms). */
  bus?: Bus;
  /** Stale PLACING orders are failed after this long. */
  placingTimeoutMs?: number;
}

/** A running process: its address, its token authority, and the services in it (for tests and tools). */
export interface Platform {
  readonly url: string;
  readonly port: number;
  readonly embedded: boolean;
  readonly tokens: TokenAuthority;
  readonly jwtSecret: string;
  readonly bus: Bus;
  readonly orms: Partial<Record<RunnableService, Orm>>;
  readonly booking?: BookingService;
  readonly checkout?: CheckoutService;
  readonly event?: EventService;
  readonly notification?: NotificationService;
  readonly admission?: AdmissionModule["service"];
  readonly payment?: PaymentService;
  /** The test PSP's hosted payment page, when this process runs the payment service with the test provider. */
  readonly testPsp?: TestPsp;
  /** Outbox relays by schema, for lag and tests. */
  readonly relays: Partial<Record<RunnableService, OutboxRelay>>;
  /** The process's Prometheus metrics (GET /metrics). */
  readonly metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Starts the given services in this process on one port: databases (embedded when no URL is configured),
 * migrations check, the RPC server with health and reflection, outbox relays, the expiry scheduler and the
 * consumers. Everything started is stopped by `close()`, in reverse order.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { config, logger, services } = options;
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) {
      await step().catch((err: unknown) => logger.warn({ err }, "shutdown step failed"));
    }
    cleanup.length = 0;
  };

  try {
    const embedded = services.some((s) => config.databaseUrls[s] === undefined);
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
    const orms: Partial<Record<RunnableService, Orm>> = {};
    for (const name of services) {
      const url = config.databaseUrls[name] ?? (pg as EmbeddedPostgres).url;
      const pool = embedded ? Math.min(config.dbPoolSize, 3) : config.dbPoolSize;
      const orm = await openOrm(SCHEMAS[name], url, pool, logger, config.databaseUrls[name] === undefined);
      cleanup.push(() => orm.close());
      if (embedded || options.migrate) {
        const applied = await migrate(orm, SCHEMAS[name]);
        if (applied.length > 0) logger.info({ service: name, applied }, "migrations applied");
      } else {
        await assertMigrated(orm, SCHEMAS[name]);
      }
      orms[name] = orm;
      metrics.watchPool(name, orm);
      if (tracingEnabled()) traceQueries(await orm.em.getConnection().getNativeClient());
    }

    // Calls between services go through the SDK like any client's, with a short-lived service token.
    const urlOf = (target: ServiceName) => () => config.serviceUrls[target];
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
    for (const name of services) keyStores.set(DESCRIPTORS[name].typeName, { em: (orms[name] as Orm).em.fork(), schema: SCHEMAS[name].schema });
    // With tracing on, calls carry W3C trace context (traceparent) from client to server, in memory as over the network.
    const tracing = tracingEnabled();
    const serverInterceptors = [
      ...(tracing ? [tracingServerInterceptor()] : []),
      metricsInterceptor(metrics),
      observabilityInterceptor(logger),
      authInterceptor(tokens),
      textInterceptor(),
      idempotencyInterceptor(keyStores),
    ];
    const clientInterceptors = tracing ? [tracingClientInterceptor()] : [];
    const local = inProcessClient(() => routes, serverInterceptors, token, config.rpcTimeoutMs, clientInterceptors);
    // A service in this process is called in memory; one elsewhere over the network. The same SDK clients either way.
    const clientFor = (target: ServiceName) =>
      services.includes(target as RunnableService) ? local : serviceClient(urlOf(target), token, config.rpcTimeoutMs, clientInterceptors);

    const relays: Partial<Record<RunnableService, OutboxRelay>> = {};
    const started: {
      booking?: BookingService;
      checkout?: CheckoutService;
      event?: EventService;
      notification?: NotificationService;
      payment?: PaymentService;
      testPsp?: TestPsp;
    } = {};
    const relayFor = (name: RunnableService) => {
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

    if (orms.event) {
      const service = new EventService(orms.event.em, bookingStock(clientFor("booking")), logger.child({ service: "event" }));
      started.event = service;
      routes.push(eventRoutes(service));
      relayFor("event");
    }
    if (orms.booking) {
      const relay = relayFor("booking");
      const service = new BookingService(orms.booking.em, outboxBookingEvents(() => relay.wake()), config.holdTtlSeconds, config.holdStrategy);
      started.booking = service;
      routes.push(bookingRoutes(service));
    }
    if (orms.checkout) {
      const relay = relayFor("checkout");
      const service = new CheckoutService(
        pgOrderStore(orms.checkout.em),
        eventCatalogue(clientFor("event")),
        bookingHolds(clientFor("booking")),
        outboxOrderEvents(() => relay.wake()),
        logger.child({ service: "checkout" }),
        metrics,
      );
      started.checkout = service;
      routes.push(checkoutRoutes(service));
    }

    if (orms.notification) {
      const service = new NotificationService(
        pgNotificationStore(orms.notification.em),
        channelFor(config, logger),
        logger.child({ service: "notification" }),
        config.notifyMaxAttempts,
        orderEventJson,
      );
      started.notification = service;
      routes.push(notificationRoutes(service));
    }
    let admission: AdmissionModule | undefined;
    if (orms.admission) {
      const relay = relayFor("admission");
      admission = await admissionModule(orms.admission.em, config, () => relay.wake(), logger.child({ service: "admission" }));
      routes.push(admission.routes);
    }

    const posts: Record<string, PostHandler> = {};
    let serverUrl = "";
    if (orms.payment) {
      relayFor("payment");
      const webhookPath = "/webhooks/payments/test";
      const psp = await TestPsp.start({
        host: config.host,
        port: config.testPspPort,
        // The test PSP lives in this process; its secret is generated unless configured, and never leaves it.
        secret: config.paymentWebhookSecret ?? randomBytes(32).toString("base64url"),
        webhookUrl: () => config.paymentWebhookUrl ?? `${serverUrl}${webhookPath}`,
        toleranceSeconds: config.webhookToleranceSeconds,
        logger: logger.child({ component: "test-psp" }),
      });
      cleanup.push(() => psp.close());
      if (!embedded) logger.warn({ url: psp.url }, "payments go through the built-in test PSP: no real money moves");
      const service = new PaymentService(
        orms.payment.em,
        checkoutOrders(clientFor("checkout")),
        psp,
        admissionTickets(clientFor("admission")),
        config.corsOrigins,
        logger.child({ service: "payment" }),
      );
      started.payment = service;
      started.testPsp = psp;
      routes.push(paymentRoutes(service));
      posts[webhookPath] = (body, header) => service.handleWebhook(body, header);
    }

    if (config.devSignIn && embedded) posts[DEV_SIGN_IN_PATH] = devSignIn(tokens);

    const descriptors = services.map((s) => DESCRIPTORS[s]);
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
    if (started.booking) {
      const scheduler = startExpiryScheduler(started.booking, config.expiryCron, config.expiryBatchSize, logger.child({ job: "expiry" }), metrics);
      cleanup.push(async () => scheduler.stop());
    }
    if (started.event) {
      const events = started.event;
      const timer = setInterval(() => {
        events.cleanUpAbandoned(10 * 60_000).catch((err: unknown) => logger.warn({ err }, "abandoned event clean-up failed"));
      }, 60_000);
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
    }
    if (started.checkout) {
      const checkout = started.checkout;
      const timeout = options.placingTimeoutMs ?? 120_000;
      const timer = setInterval(() => {
        checkout.recoverStalePlacing(timeout).catch((err: unknown) => logger.warn({ err }, "stale placement recovery failed"));
      }, Math.min(timeout, 30_000));
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
      // Orders whose holds should have ended by now are compared with booking's holds: a missed event or a call
      // whose answer was lost never leaves an order pending for good.
      // A run that outlasts the interval (hundreds of orders after an outage) is not overlapped by the next.
      let reconciling = false;
      const reconciler = setInterval(() => {
        if (reconciling) return;
        reconciling = true;
        checkout
          .reconcile(RECONCILE_GRACE_MS)
          .catch((err: unknown) => logger.warn({ err }, "order reconciliation failed"))
          .finally(() => (reconciling = false));
      }, RECONCILE_EVERY_MS);
      reconciler.unref();
      cleanup.push(async () => clearInterval(reconciler));
    }

    // The jobs above do not wait for the consumers: a restarted process may wait out a dead member's session before
    // its group lets it in, and meanwhile the sweeper and the reconciler must go on.
    const subscriptions: Subscription[] = [];
    const consumerBus = tracedSubscriptions(bus);
    const dependency = (service: DescService, name: string) => (up: boolean) => {
      health.setDependency(service.typeName, name, up);
      logger[up ? "info" : "warn"]({ service: service.typeName, dependency: name }, up ? "dependency back" : "dependency down");
    };
    if (started.checkout) {
      const subscription = await consumeBookingEvents(consumerBus, started.checkout, dependency(checkoutPb.CheckoutService, "booking-events consumer"));
      subscriptions.push(subscription);
      watchLag(metrics, subscription);
    }
    if (started.notification) {
      const notifications = started.notification;
      const subscription = await consumeOrderEvents(consumerBus, notifications, dependency(notificationPb.NotificationService, "order-events consumer"));
      subscriptions.push(subscription);
      watchLag(metrics, subscription);
      notifications.start();
      cleanup.push(() => notifications.stop());
    }
    if (admission) {
      const subscription = await admission.consume(consumerBus, dependency(admissionPb.AdmissionService, "order-events consumer"));
      subscriptions.push(subscription);
      watchLag(metrics, subscription);
    }
    cleanup.push(async () => {
      for (const s of subscriptions) await s.close();
    });
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
      ...started,
      ...(admission ? { admission: admission.service } : {}),
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

function channelFor(config: Config, logger: Logger): Channel {
  switch (config.notifyChannel) {
    case "webhook":
      return webhookChannel(config.webhookUrl as string, config.webhookSecret as string);
    case "email":
      return emailChannel(config.smtpUrl as string, config.emailFrom);
    default:
      return logChannel(logger.child({ channel: "log" }));
  }
}

function grpcDescriptors(): DescService[] {
  return [health.Health, reflection.ServerReflection];
}
