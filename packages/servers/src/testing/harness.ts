// Test support: a fresh PostgreSQL database per test file on the real server (started by scripts/postgres.sh), a
// platform started on it over real sockets, and SDK clients for admins and customers.
import { createTicketingClient, type admission, type booking, type TicketingClient } from "@ticketing/sdk";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { Writable } from "node:stream";
import { afterAll, beforeAll } from "vitest";
import { startPlatform, type Platform, type PlatformOptions } from "../app.js";
import { SERVICE_NAMES, SERVICES, type ServiceName } from "../services.js";
import { loadConfig } from "../platform/config.js";
import { createLogger } from "../platform/logger.js";

/** The server the tests create their databases on; the role needs CREATEDB. */
export const ADMIN_DATABASE_URL =
  process.env["TICKETING_TEST_DATABASE_URL"] ?? "postgres://ticketing:ticketing@127.0.0.1:5432/ticketing";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file; `drop()` removes it (closing stray connections). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `ticketing_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect().catch((err: unknown) => {
    throw new Error(
      `cannot reach the test PostgreSQL at ${ADMIN_DATABASE_URL.replace(/:[^:@/]+@/, ":***@")}: ${String(err)}. ` +
        "Start it with scripts/postgres.sh start (make test does).",
    );
  });
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await c.connect();
      try {
        // A session of another role (someone's psql, a monitoring query) cannot be ended by ours, and makes the
        // forced drop fail: the test database is then left behind, with a warning, rather than failing a test that
        // passed.
        await c.query(`drop database if exists ${name} with (force)`).catch((error: unknown) => {
          console.warn(`test database ${name} not dropped: ${error instanceof Error ? error.message : String(error)}`);
        });
      } finally {
        await c.end();
      }
    },
  };
}

/** Log lines a test platform wrote, parsed. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        this.raw.push(line);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          // not JSON: kept in raw
        }
      }
      done();
    },
  });
}

export interface TestPlatform {
  platform: Platform;
  db: TestDatabase;
  logs: LogCapture;
  secret: string;
  admin: TicketingClient;
  /** A client for customer `sub` (a new one each call, or cached per sub). */
  customer(sub: string): TicketingClient;
  /** A client with an arbitrary token (or none). */
  clientWithToken(token: string | undefined): TicketingClient;
  close(): Promise<void>;
}

export interface TestPlatformOptions {
  env?: Record<string, string>;
  services?: readonly ServiceName[];
  db?: TestDatabase;
  extra?: Partial<PlatformOptions>;
  /** Level of the captured logs; successful calls are logged at debug only. Default info. */
  logLevel?: string;
}

/** Starts a platform on a fresh (or given) database with a known JWT secret and quiet logs. */
export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const db = options.db ?? (await createTestDatabase());
  const secret = randomBytes(32).toString("hex");
  const config = loadConfig({
    TICKETING_DATABASE_URL: db.url,
    TICKETING_JWT_SECRET: secret,
    TICKETING_PORT: "0",
    TICKETING_LOG_LEVEL: "info",
    TICKETING_DB_POOL_SIZE: "10",
    ...options.env,
  }, { services: SERVICES });
  const logs = new LogCapture();
  const logger = createLogger(options.logLevel ?? "info", {}, "json", logs.stream);
  const platform = await startPlatform({
    services: options.services ?? SERVICE_NAMES,
    config,
    logger,
    migrate: true,
    ...options.extra,
  });
  const make = (token: string | undefined) =>
    createTicketingClient({
      baseUrl: platform.url,
      ...(token ? { token } : {}),
      protocol: "grpc",
      timeoutMs: 30_000,
      retry: { maxAttempts: 3, initialDelayMs: 20 },
    });
  const customers = new Map<string, TicketingClient>();
  const adminToken = await platform.tokens.mint({ sub: "admin", role: "admin" });
  return {
    platform,
    db,
    logs,
    secret,
    admin: make(adminToken),
    customer(sub: string) {
      let client = customers.get(sub);
      if (!client) {
        const tokenPromise = platform.tokens.mint({ sub, role: "customer" });
        client = createTicketingClient({
          baseUrl: platform.url,
          token: () => tokenPromise,
          protocol: "grpc",
          timeoutMs: 30_000,
          retry: { maxAttempts: 3, initialDelayMs: 20 },
        });
        customers.set(sub, client);
      }
      return client;
    },
    clientWithToken: make,
    async close() {
      await platform.close();
      if (!options.db) await db.drop();
    },
  };
}

/**
 * One platform for the whole test file: started before its tests (then handed to `ready`, which keeps it and may
 * prepare it), closed after them.
 */
export function platformForFile(options: TestPlatformOptions, ready: (t: TestPlatform) => void | Promise<void>): void {
  let started: TestPlatform | undefined;
  beforeAll(async () => {
    started = await startTestPlatform(options);
    await ready(started);
  });
  afterAll(async () => {
    await started?.close();
  });
}

/** A ticket type's stock as booking reports it. */
export const stockIn = async (t: TestPlatform, ticketId: string): Promise<booking.Stock> => (await t.admin.bookings.getStock({ ticketId })).stock!;

/** A CreateEvent request for a fixed two-type event (GA 5 × 1.00 EUR, VIP 2 × 9.00 EUR) under `idempotencyKey`. */
export const gaAndVipEvent = (idempotencyKey: string, name: string) => ({
  idempotencyKey,
  name,
  startsAt: { seconds: 2_000_000_000n },
  endsAt: { seconds: 2_000_003_600n },
  ticketTypes: [
    { name: "GA", price: { amountMinor: 100n, currency: "EUR" }, capacity: 5 },
    { name: "VIP", price: { amountMinor: 900n, currency: "EUR" }, capacity: 2 },
  ],
});

/** Creates an event with one ticket type of `capacity` seats as admin; returns the ids. */
export async function createEventWith(
  admin: TicketingClient,
  capacity: number,
  opts: { priceMinor?: bigint; name?: string; types?: number } = {},
): Promise<{ eventId: string; ticketIds: string[] }> {
  const { event } = await admin.events.createEvent({
    name: opts.name ?? `Show ${randomBytes(3).toString("hex")}`,
    startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
    endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
    venue: { name: "Hall", location: "Berlin" },
    ticketTypes: Array.from({ length: opts.types ?? 1 }, (_, i) => ({
      name: `Type ${i + 1}`,
      price: { amountMinor: opts.priceMinor ?? 4500n, currency: "EUR" },
      capacity,
    })),
  });
  if (!event) throw new Error("CreateEvent returned no event");
  return { eventId: event.id, ticketIds: event.ticketTypes.map((t) => t.id) };
}

/**
 * `customer` orders `quantity` of one ticket type, an admin marks the order paid, and the admission service's
 * tickets for it are awaited (listed as the admin sees them, by number).
 */
export async function buyPaidTickets(
  admin: TicketingClient,
  customer: TicketingClient,
  ticketTypeId: string,
  quantity: number,
): Promise<{ orderId: string; tickets: admission.Ticket[] }> {
  await customer.checkout.addToCart({ ticketId: ticketTypeId, quantity });
  const { order } = await customer.checkout.placeOrder({});
  if (!order) throw new Error("PlaceOrder returned no order");
  await admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: `psp-${randomBytes(6).toString("hex")}` });
  const tickets = await eventually(async () => {
    const { tickets } = await admin.admission.listTickets({ orderId: order.id });
    return tickets.length === quantity ? tickets : undefined;
  }, 15_000, `the tickets of order ${order.id}`);
  return { orderId: order.id, tickets: tickets.sort((a, b) => a.number - b.number) };
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The Kafka broker the tests use (scripts/kafka.sh starts it). */
export const TEST_KAFKA_BROKERS = process.env["TICKETING_TEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092";

/** Env for a platform on the test broker, in a namespace of its own so test files never share topics or groups. */
export function kafkaEnv(namespace = `test-${randomBytes(4).toString("hex")}.`): Record<string, string> {
  return {
    TICKETING_KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    TICKETING_KAFKA_NAMESPACE: namespace,
    TICKETING_KAFKA_PARTITIONS: "3",
    TICKETING_KAFKA_SESSION_TIMEOUT_MS: "6000",
  };
}
