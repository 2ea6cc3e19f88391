// Configuration from TICKETING_* environment variables, validated once at start. A bad or missing variable stops the
// process with a message that names it. Every variable, its default and its meaning are listed in VARIABLES, which
// the README's configuration table is written from.
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";

/** A service whose variables are read: TICKETING_<NAME>_DATABASE_URL and TICKETING_<NAME>_URL (default its port). */
export interface ServiceAddress {
  readonly name: string;
  readonly port: number;
}

export interface Config {
  /** Interface to listen on. */
  host: string;
  /** Port override for the process (all-in-one, or one service); undefined means the service's default. */
  port: number | undefined;
  /** Database URL of every service without one of its own; undefined means embedded PostgreSQL (PGlite). */
  databaseUrl: string | undefined;
  /** Database URL per service read (LoadOptions.services), the shared one when it has none of its own. */
  databaseUrls: Readonly<Record<string, string | undefined>>;
  /** Where the embedded database keeps its files; undefined means in memory. */
  dataDir: string | undefined;
  /** Connections per service pool. */
  dbPoolSize: number;
  /** HS256 secret for JWTs; undefined only in embedded mode, where one is generated. */
  jwtSecret: string | undefined;
  /** Base URLs each other service is reached at: one, or several replicas that calls are spread over. */
  serviceUrls: Readonly<Record<string, readonly string[]>>;
  /** Deadline of one attempt of a call to another service, in milliseconds. */
  rpcTimeoutMs: number;
  /** Largest request accepted, in bytes, on the wire and once inflated. */
  maxRequestBytes: number;
  /** How long an idempotency key stays bound to its first request, in seconds; older keys are forgotten. */
  idempotencyRetentionSeconds: number;
  /** How long a hold lasts unless the request says otherwise, in seconds. */
  holdTtlSeconds: number;
  /** Cron pattern (with seconds) of the expiry sweep. */
  expiryCron: string;
  /** Holds expired per sweep statement. */
  expiryBatchSize: number;
  /** How booking takes stock: batched group commit, or the naive ORM pattern kept as the benchmark's comparator. */
  holdStrategy: "batched" | "naive";
  /** pino level. */
  logLevel: string;
  /** auto: pretty when stdout is a terminal, JSON otherwise. */
  logFormat: "auto" | "json" | "pretty";
  /** Kafka bootstrap servers; empty means the in-process bus. */
  kafkaBrokers: string[];
  /** Partitions of the topics created at start. */
  kafkaPartitions: number;
  /** Prefix of topics and consumer groups. */
  kafkaNamespace: string;
  /** Consumer group session timeout. */
  kafkaSessionTimeoutMs: number;
  /** Static group membership id, when set. */
  kafkaGroupInstanceId: string | undefined;
  /** Notification delivery channel. */
  notifyChannel: "log" | "webhook" | "email";
  /** Webhook channel: where to POST, and the HMAC-SHA256 key. */
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  /** E-mail channel: SMTP server URL (smtp://host:port) and sender. */
  smtpUrl: string | undefined;
  emailFrom: string;
  /** Delivery attempts before a notification is marked FAILED. */
  notifyMaxAttempts: number;
  /** Ed25519 private key (PKCS#8 PEM) ticket codes are signed with; undefined: the one kept in the admission database. */
  ticketSigningKey: string | undefined;
  /** Raw 32-byte Ed25519 public keys (base64url) of earlier signing keys, whose codes still verify. */
  ticketVerificationKeys: string[];
  /** `iss` of the platform's own HS256 tokens. */
  jwtIssuer: string;
  /** `aud` every token must carry, when set. */
  jwtAudience: string | undefined;
  /** An external OpenID Connect issuer whose tokens are believed too (its `iss` and JWKS URL). */
  oidc: { issuer: string; jwksUrl: string } | undefined;
  /** POST /dev/sign-in mints customer tokens for a name: embedded (development) mode only. */
  devSignIn: boolean;
  /** Origins (scheme://host[:port]) browsers may call the RPC port from; empty: no cross-origin calls. */
  corsOrigins: readonly string[];
  /** The payment provider; "test" is the built-in test PSP with its hosted payment page. */
  paymentProvider: "test";
  /** HMAC-SHA256 key of the provider's webhook signatures; undefined: generated at start (test provider only). */
  paymentWebhookSecret: string | undefined;
  /** Where the provider posts its events; undefined: this process's own /webhooks/payments/<provider>. */
  paymentWebhookUrl: string | undefined;
  /** Port of the test PSP's hosted payment page; 0 picks a free one. */
  testPspPort: number;
  /** Webhooks signed longer ago than this are refused (replay window), in seconds. */
  webhookToleranceSeconds: number;
}

interface Variable {
  name: string;
  default: string;
  description: string;
}

/** Every variable the servers read. */
export const VARIABLES: readonly Variable[] = [
  { name: "TICKETING_HOST", default: "127.0.0.1", description: "interface to listen on (0.0.0.0 in containers)" },
  { name: "TICKETING_PORT", default: "service default", description: "port of this process: all-in-one default 50600; event 50600, booking 50610, checkout 50620, notification 50630, admission 50640, payment 50650" },
  { name: "TICKETING_DATABASE_URL", default: "(embedded)", description: "PostgreSQL URL for every service; unset runs embedded PostgreSQL (PGlite). DATABASE_URL is read too" },
  { name: "TICKETING_EVENT_DATABASE_URL", default: "TICKETING_DATABASE_URL", description: "database of the event service (likewise _BOOKING_, _CHECKOUT_, _NOTIFICATION_, _ADMISSION_)" },
  { name: "TICKETING_DATA_DIR", default: "(in memory)", description: "embedded mode: directory PGlite keeps its data in; the signing secret is kept beside it (DIR.jwt-secret) so tokens survive restarts" },
  { name: "TICKETING_DB_POOL_SIZE", default: "10", description: "connections per service pool" },
  { name: "TICKETING_JWT_SECRET", default: "(generated in embedded mode)", description: "HS256 secret, at least 32 characters; required with a real database" },
  { name: "TICKETING_EVENT_URL", default: "http://127.0.0.1:50600", description: "where other services reach the event service (likewise _BOOKING_URL, _CHECKOUT_URL, _NOTIFICATION_URL, _ADMISSION_URL); a comma-separated list of replicas spreads the calls over them in turn" },
  { name: "TICKETING_RPC_TIMEOUT_MS", default: "5000", description: "deadline of one attempt of a call to another service (idempotent calls are tried up to 4 times on UNAVAILABLE or DEADLINE_EXCEEDED)" },
  { name: "TICKETING_MAX_REQUEST_BYTES", default: "262144", description: "largest request accepted, in bytes, by every protocol, both as sent and once decompressed; a larger one is RESOURCE_EXHAUSTED, before authentication (1024 to 67108864)" },
  { name: "TICKETING_IDEMPOTENCY_RETENTION", default: "24h", description: "how long an idempotency key stays bound to its first request (a retry within it gets the first outcome, another request with it INVALID_ARGUMENT); older keys are deleted (1m to 720h)" },
  { name: "TICKETING_HOLD_TTL", default: "15m", description: "how long stock is held for an unpaid order (s, m or h suffix)" },
  { name: "TICKETING_EXPIRY_CRON", default: "*/2 * * * * *", description: "cron pattern (with seconds) of the hold-expiry sweep" },
  { name: "TICKETING_EXPIRY_BATCH_SIZE", default: "500", description: "holds expired per sweep statement" },
  { name: "TICKETING_HOLD_STRATEGY", default: "batched", description: "how booking takes stock: batched (group commit) or naive (SELECT … FOR UPDATE per order: the on-sale benchmark's comparator, not for production)" },
  { name: "TICKETING_LOG_LEVEL", default: "info", description: "pino log level: trace, debug, info, warn, error, fatal, silent" },
  { name: "TICKETING_LOG_FORMAT", default: "auto", description: "json (one object per line), pretty (short coloured lines) or auto: pretty when stdout is a terminal, else json" },
  { name: "TICKETING_KAFKA_BROKERS", default: "(in-process bus)", description: "comma-separated Kafka bootstrap servers. KAFKA_BROKERS is read too" },
  { name: "TICKETING_KAFKA_PARTITIONS", default: "6", description: "partitions of the topics created at start" },
  { name: "TICKETING_KAFKA_NAMESPACE", default: "(none)", description: "prefix of every topic and consumer group, to share a cluster between deployments" },
  { name: "TICKETING_KAFKA_SESSION_TIMEOUT_MS", default: "10000", description: "consumer group session timeout: how soon a dead consumer's partitions move on (and how long a restarted one may wait to rejoin)" },
  { name: "TICKETING_KAFKA_GROUP_INSTANCE_ID", default: "(none)", description: "static group membership: a stable id per process (e.g. the pod name) lets a restarted consumer take its partitions back at once; must differ between replicas" },
  { name: "TICKETING_NOTIFY_CHANNEL", default: "log", description: "how buyers are notified: log, webhook or email" },
  { name: "TICKETING_NOTIFY_WEBHOOK_URL", default: "(none)", description: "webhook channel: URL each notification is POSTed to" },
  { name: "TICKETING_NOTIFY_WEBHOOK_SECRET", default: "(none)", description: "webhook channel: HMAC-SHA256 key of the x-ticketing-signature header (at least 16 characters)" },
  { name: "TICKETING_SMTP_URL", default: "(none)", description: "email channel: SMTP server, e.g. smtp://mail.local:25" },
  { name: "TICKETING_NOTIFY_EMAIL_FROM", default: "tickets@ticketing.local", description: "email channel: sender address" },
  { name: "TICKETING_NOTIFY_MAX_ATTEMPTS", default: "6", description: "delivery attempts (with backoff) before a notification is FAILED" },
  { name: "TICKETING_TICKET_SIGNING_KEY", default: "(kept in the database)", description: "Ed25519 private key ticket codes are signed with: PKCS#8 PEM, or its DER in base64 on one line (`ticketing-server ticket-key` makes one). Unset: a key generated at first start and kept in the admission schema (embedded mode: with its data dir)" },
  { name: "TICKETING_TICKET_SIGNING_KEY_FILE", default: "(none)", description: "a file holding that key as PEM, instead of the variable" },
  { name: "TICKETING_TICKET_VERIFICATION_KEYS", default: "(none)", description: "comma-separated public keys (raw 32 bytes, base64url) of earlier signing keys: codes they signed still verify after a rotation" },
  { name: "TICKETING_JWT_ISSUER", default: "ticketing", description: "iss claim of the HS256 tokens signed with TICKETING_JWT_SECRET (checked on every call; minted tokens carry it)" },
  { name: "TICKETING_JWT_AUDIENCE", default: "(none)", description: "aud claim every token must carry, when set (minted tokens carry it)" },
  { name: "TICKETING_OIDC_ISSUER", default: "(none)", description: "an OpenID Connect provider whose tokens are believed too: its iss (set with TICKETING_OIDC_JWKS_URL)" },
  { name: "TICKETING_OIDC_JWKS_URL", default: "(none)", description: "the OIDC provider's JWKS URL (its signing keys); its tokens' sub is the caller, role claim or else customer" },
  { name: "TICKETING_DEV_SIGNIN", default: "(on in embedded mode)", description: "POST /dev/sign-in {\"name\"} mints a customer token for any name: development only, refused at start with a database URL" },
  { name: "TICKETING_CORS_ORIGINS", default: "(none)", description: "comma-separated origins (scheme://host[:port]) whose web pages may call the services from a browser, e.g. a storefront; never *" },
  { name: "TICKETING_PAYMENT_PROVIDER", default: "test", description: "payment provider: test (the built-in test PSP with a hosted payment page; see docs/adr/0008-payments-and-storefront.md)" },
  { name: "TICKETING_PAYMENT_WEBHOOK_SECRET", default: "(generated)", description: "HMAC-SHA256 key of the provider's webhook signatures, at least 32 characters; generated at start for the test provider" },
  { name: "TICKETING_PAYMENT_WEBHOOK_URL", default: "(this process)", description: "where the provider posts payment events; default the payment service's own URL + /webhooks/payments/<provider>" },
  { name: "TICKETING_TEST_PSP_PORT", default: "0 (a free port)", description: "port of the test PSP's hosted payment page; buyers get its address in each payment intent's checkout_url" },
  { name: "TICKETING_WEBHOOK_TOLERANCE", default: "5m", description: "replay window of payment webhooks: a signature older (or further ahead) than this is refused" },
];

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

interface LoadOptions {
  /** False for commands that serve no RPC and so verify no token (migrate): a real database then needs no secret. */
  jwtSecretRequired?: boolean;
  /** The services whose own variables are read and checked. */
  services?: readonly ServiceAddress[];
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}=${raw}: must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, fallback: string | undefined, schemes: string[]): string | undefined => {
    const raw = read(name) ?? fallback;
    return raw === undefined ? undefined : checkUrl(name, raw, schemes);
  };
  const checkUrl = (name: string, raw: string, schemes: string[]): string | undefined => {
    try {
      const parsed = new URL(raw);
      if (!schemes.includes(parsed.protocol)) throw new Error("scheme");
      return raw;
    } catch {
      problems.push(`${name}: "${redact(raw)}" is not a ${schemes.join(" or ")} URL`);
      return undefined;
    }
  };

  const databaseUrl = url("TICKETING_DATABASE_URL", read("DATABASE_URL"), ["postgres:", "postgresql:"]);
  const services = options.services ?? [];
  const databaseUrls = Object.fromEntries(
    services.map((s) => [s.name, url(`TICKETING_${s.name.toUpperCase()}_DATABASE_URL`, databaseUrl, ["postgres:", "postgresql:"])]),
  );

  const host = read("TICKETING_HOST") ?? "127.0.0.1";
  const port = read("TICKETING_PORT") === undefined ? undefined : int("TICKETING_PORT", 0, 0, 65535);
  const urlList = (name: string, fallback: string): string[] => {
    const raw = read(name) ?? fallback;
    const urls: string[] = [];
    for (const entry of raw.split(",").map((u) => u.trim())) {
      if (entry === "") {
        problems.push(`${name}: empty entry in "${redact(raw)}" (a comma-separated list of http or https URLs)`);
        continue;
      }
      if (checkUrl(name, entry, ["http:", "https:"]) !== undefined) urls.push(entry);
    }
    return urls;
  };
  const serviceUrls = Object.fromEntries(
    services.map((s) => [s.name, urlList(`TICKETING_${s.name.toUpperCase()}_URL`, `http://127.0.0.1:${s.port}`)]),
  );

  const jwtSecret = read("TICKETING_JWT_SECRET");
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    problems.push("TICKETING_JWT_SECRET: must be at least 32 characters");
  }
  const anyRealDatabase = databaseUrl !== undefined || Object.values(databaseUrls).some((u) => u !== undefined);
  if (anyRealDatabase && jwtSecret === undefined && options.jwtSecretRequired !== false) {
    problems.push("TICKETING_JWT_SECRET: required when a database URL is set (only embedded mode generates one)");
  }

  const kafkaGroupInstanceId = read("TICKETING_KAFKA_GROUP_INSTANCE_ID");
  if (kafkaGroupInstanceId !== undefined && !/^[A-Za-z0-9._-]{1,200}$/.test(kafkaGroupInstanceId)) {
    problems.push(`TICKETING_KAFKA_GROUP_INSTANCE_ID=${kafkaGroupInstanceId}: letters, digits, '.', '_' and '-' only (at most 200)`);
  }

  const retentionRaw = read("TICKETING_IDEMPOTENCY_RETENTION") ?? "24h";
  const idempotencyRetentionSeconds = parseDuration(retentionRaw);
  if (idempotencyRetentionSeconds === undefined || idempotencyRetentionSeconds < 60 || idempotencyRetentionSeconds > 720 * 3600) {
    problems.push(`TICKETING_IDEMPOTENCY_RETENTION=${retentionRaw}: must be a duration from 1m to 720h, like 24h`);
  }

  const ttlRaw = read("TICKETING_HOLD_TTL") ?? "15m";
  const holdTtlSeconds = parseDuration(ttlRaw);
  if (holdTtlSeconds === undefined || holdTtlSeconds < 1 || holdTtlSeconds > 86_400) {
    problems.push(`TICKETING_HOLD_TTL=${ttlRaw}: must be a duration from 1s to 24h, like 900s, 15m or 1h`);
  }

  const logLevel = read("TICKETING_LOG_LEVEL") ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(logLevel)) {
    problems.push(`TICKETING_LOG_LEVEL=${logLevel}: must be one of trace, debug, info, warn, error, fatal, silent`);
  }

  const logFormat = (read("TICKETING_LOG_FORMAT") ?? "auto") as Config["logFormat"];
  if (!["auto", "json", "pretty"].includes(logFormat)) {
    problems.push(`TICKETING_LOG_FORMAT=${logFormat}: must be auto, json or pretty`);
  }

  const expiryCron = read("TICKETING_EXPIRY_CRON") ?? "*/2 * * * * *";
  if (expiryCron.split(/\s+/).length < 5) {
    problems.push(`TICKETING_EXPIRY_CRON=${expiryCron}: must be a cron pattern`);
  }

  const holdStrategy = (read("TICKETING_HOLD_STRATEGY") ?? "batched") as Config["holdStrategy"];
  if (!["batched", "naive"].includes(holdStrategy)) {
    problems.push(`TICKETING_HOLD_STRATEGY=${holdStrategy}: must be batched or naive`);
  }

  const brokers = (read("TICKETING_KAFKA_BROKERS") ?? read("KAFKA_BROKERS") ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
  for (const broker of brokers) {
    if (!/^[\w.-]+:\d+$/.test(broker)) problems.push(`TICKETING_KAFKA_BROKERS: "${broker}" is not host:port`);
  }

  const notifyChannel = (read("TICKETING_NOTIFY_CHANNEL") ?? "log") as Config["notifyChannel"];
  if (!["log", "webhook", "email"].includes(notifyChannel)) {
    problems.push(`TICKETING_NOTIFY_CHANNEL=${notifyChannel}: must be log, webhook or email`);
  }
  const webhookUrl = url("TICKETING_NOTIFY_WEBHOOK_URL", undefined, ["http:", "https:"]);
  const webhookSecret = read("TICKETING_NOTIFY_WEBHOOK_SECRET");
  if (notifyChannel === "webhook" && (!webhookUrl || !webhookSecret || webhookSecret.length < 16)) {
    problems.push("TICKETING_NOTIFY_WEBHOOK_URL and TICKETING_NOTIFY_WEBHOOK_SECRET (16+ characters): required by the webhook channel");
  }
  const smtpUrl = url("TICKETING_SMTP_URL", undefined, ["smtp:", "smtps:"]);
  if (notifyChannel === "email" && !smtpUrl) problems.push("TICKETING_SMTP_URL: required by the email channel");

  const ticketKey = readTicketKey(read("TICKETING_TICKET_SIGNING_KEY"), read("TICKETING_TICKET_SIGNING_KEY_FILE"), problems);
  const ticketVerificationKeys = (read("TICKETING_TICKET_VERIFICATION_KEYS") ?? "").split(",").map((k) => k.trim()).filter((k) => k !== "");
  for (const key of ticketVerificationKeys) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(key)) problems.push(`TICKETING_TICKET_VERIFICATION_KEYS: "${key.slice(0, 60)}" is not a 32-byte key in base64url (43 characters)`);
  }

  const corsOrigins: string[] = [];
  for (const entry of (read("TICKETING_CORS_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "")) {
    const origin = parseOrigin(entry);
    if (origin === undefined) {
      problems.push(`TICKETING_CORS_ORIGINS: "${entry}" is not an origin like https://shop.example.com or http://127.0.0.1:5173 (never *)`);
    } else {
      corsOrigins.push(origin);
    }
  }

  const oidcIssuer = read("TICKETING_OIDC_ISSUER");
  const oidcJwks = url("TICKETING_OIDC_JWKS_URL", undefined, ["http:", "https:"]);
  if ((oidcIssuer === undefined) !== (read("TICKETING_OIDC_JWKS_URL") === undefined)) {
    problems.push("TICKETING_OIDC_ISSUER and TICKETING_OIDC_JWKS_URL: set both or neither");
  }
  const devSignInRaw = read("TICKETING_DEV_SIGNIN");
  if (devSignInRaw !== undefined && !["true", "false", "1", "0"].includes(devSignInRaw)) {
    problems.push(`TICKETING_DEV_SIGNIN=${devSignInRaw}: must be true or false`);
  }
  const devSignIn = devSignInRaw === undefined ? !anyRealDatabase : devSignInRaw === "true" || devSignInRaw === "1";
  if (devSignIn && anyRealDatabase) {
    problems.push("TICKETING_DEV_SIGNIN: the development sign-in mints a token for any name; it runs only in embedded mode, never with a database URL");
  }

  const paymentProvider = (read("TICKETING_PAYMENT_PROVIDER") ?? "test") as Config["paymentProvider"];
  if (paymentProvider !== "test") problems.push(`TICKETING_PAYMENT_PROVIDER=${paymentProvider}: must be test`);
  const paymentWebhookSecret = read("TICKETING_PAYMENT_WEBHOOK_SECRET");
  if (paymentWebhookSecret !== undefined && paymentWebhookSecret.length < 32) {
    problems.push("TICKETING_PAYMENT_WEBHOOK_SECRET: must be at least 32 characters");
  }
  const toleranceRaw = read("TICKETING_WEBHOOK_TOLERANCE") ?? "5m";
  const webhookToleranceSeconds = parseDuration(toleranceRaw);
  if (webhookToleranceSeconds === undefined || webhookToleranceSeconds < 1 || webhookToleranceSeconds > 3600) {
    problems.push(`TICKETING_WEBHOOK_TOLERANCE=${toleranceRaw}: must be a duration from 1s to 1h`);
  }

  const config: Config = {
    host,
    port,
    databaseUrl,
    databaseUrls,
    dataDir: read("TICKETING_DATA_DIR"),
    dbPoolSize: int("TICKETING_DB_POOL_SIZE", 10, 1, 200),
    jwtSecret,
    serviceUrls,
    rpcTimeoutMs: int("TICKETING_RPC_TIMEOUT_MS", 5000, 100, 120_000),
    maxRequestBytes: int("TICKETING_MAX_REQUEST_BYTES", 262_144, 1024, 64 * 1024 * 1024),
    idempotencyRetentionSeconds: idempotencyRetentionSeconds ?? 86_400,
    holdTtlSeconds: holdTtlSeconds ?? 900,
    expiryCron,
    expiryBatchSize: int("TICKETING_EXPIRY_BATCH_SIZE", 500, 1, 10_000),
    holdStrategy,
    logLevel,
    logFormat,
    kafkaBrokers: brokers,
    kafkaPartitions: int("TICKETING_KAFKA_PARTITIONS", 6, 1, 1000),
    kafkaNamespace: read("TICKETING_KAFKA_NAMESPACE") ?? "",
    kafkaSessionTimeoutMs: int("TICKETING_KAFKA_SESSION_TIMEOUT_MS", 10_000, 6000, 300_000),
    kafkaGroupInstanceId,
    notifyChannel,
    webhookUrl,
    webhookSecret,
    smtpUrl,
    emailFrom: read("TICKETING_NOTIFY_EMAIL_FROM") ?? "tickets@ticketing.local",
    notifyMaxAttempts: int("TICKETING_NOTIFY_MAX_ATTEMPTS", 6, 1, 100),
    ticketSigningKey: ticketKey,
    ticketVerificationKeys,
    jwtIssuer: read("TICKETING_JWT_ISSUER") ?? "ticketing",
    jwtAudience: read("TICKETING_JWT_AUDIENCE"),
    oidc: oidcIssuer !== undefined && oidcJwks !== undefined ? { issuer: oidcIssuer, jwksUrl: oidcJwks } : undefined,
    devSignIn,
    corsOrigins,
    paymentProvider,
    paymentWebhookSecret,
    paymentWebhookUrl: url("TICKETING_PAYMENT_WEBHOOK_URL", undefined, ["http:", "https:"]),
    testPspPort: int("TICKETING_TEST_PSP_PORT", 0, 0, 65535),
    webhookToleranceSeconds: webhookToleranceSeconds ?? 300,
  };
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return config;
}

/** The ticket signing key as PEM, from the variable or the file; a problem noted when it is not an Ed25519 private key. */
function readTicketKey(value: string | undefined, file: string | undefined, problems: string[]): string | undefined {
  if (value !== undefined && file !== undefined) {
    problems.push("TICKETING_TICKET_SIGNING_KEY and TICKETING_TICKET_SIGNING_KEY_FILE: set one, not both");
    return undefined;
  }
  const name = file !== undefined ? "TICKETING_TICKET_SIGNING_KEY_FILE" : "TICKETING_TICKET_SIGNING_KEY";
  let text = value;
  if (file !== undefined) {
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      problems.push(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  try {
    const key = text.includes("-----BEGIN")
      ? createPrivateKey(text)
      : createPrivateKey({ key: Buffer.from(text.trim(), "base64"), format: "der", type: "pkcs8" });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key`);
    return key.export({ format: "pem", type: "pkcs8" }).toString();
  } catch (err) {
    problems.push(`${name}: not an Ed25519 private key in PKCS#8 PEM or base64 DER (${err instanceof Error ? err.message.slice(0, 80) : "unreadable"})`);
    return undefined;
  }
}

/** "900" or "900s", "15m", "1h" → seconds. */
export function parseDuration(raw: string): number | undefined {
  const match = /^(\d+)\s*(s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  const n = Number(match[1]);
  return match[2] === "h" ? n * 3600 : match[2] === "m" ? n * 60 : n;
}

/** "https://Shop.example.com/" → "https://shop.example.com"; undefined for anything that is not a bare http(s) origin. */
export function parseOrigin(raw: string): string | undefined {
  try {
    const parsed = new URL(raw);
    if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname.includes("*")) return undefined;
    if (parsed.username || parsed.password || parsed.search || parsed.hash || (parsed.pathname !== "/" && parsed.pathname !== "")) return undefined;
    if (raw.replace(/\/$/, "").toLowerCase() !== parsed.origin.toLowerCase()) return undefined;
    return parsed.origin;
  } catch {
    return undefined;
  }
}

/** Hides the password of a URL for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}
