#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { createPrivateKey } from "node:crypto";
import { relative } from "node:path";
import { generateSigningKey, KeyRing } from "./admission/codes.js";
import { ROLES, TokenAuthority, type Role } from "./platform/auth.js";
import { listenPort, startPlatform } from "./app.js";
import { ConfigError, loadConfig, redact } from "./platform/config.js";
import { SERVICE_NAMES, serviceNamed, SERVICES, type ServiceName } from "./services.js";
import { migrate, openOrm, UnmigratedSchemaError } from "./platform/db.js";
import { createLogger } from "./platform/logger.js";
import { assertPortFree, PortInUseError } from "./platform/port.js";
import { tracingWanted } from "./platform/trace-state.js";
import { startTracing } from "./platform/tracing.js";
import { banner, removeEnvFile, writeCliContexts, writeEnvFile, type Welcome } from "./welcome.js";

const program = new Command("ticketing-server")
  .description("Reference services of the ticketing platform")
  .showHelpAfterError();

for (const name of [...SERVICE_NAMES, "all"] as const) {
  program
    .command(name)
    .description(name === "all" ? "run every service in one process, on one port" : `run the ${name} service`)
    .option("--migrate", "apply pending migrations before starting")
    .option("--write-env <file>", "write the address and tokens as shell export lines to FILE (removed on shutdown)")
    .action(async (opts: { migrate?: boolean; writeEnv?: string }) => {
      await serve(name === "all" ? SERVICE_NAMES : [name], opts.migrate ?? false, opts.writeEnv);
    });
}

program
  .command("migrate")
  .description("apply the pending migrations of the given services (default: all) to TICKETING_DATABASE_URL")
  .argument("[services...]", `any of ${SERVICE_NAMES.join(", ")}`)
  .action(async (names: string[]) => {
    // Migrations verify no token: a migration job (Compose, the Helm hook) is given the database URL alone.
    const config = loadConfig(process.env, { jwtSecretRequired: false, services: SERVICES });
    const logger = createLogger(config.logLevel);
    const selected = (names.length > 0 ? names : SERVICE_NAMES) as ServiceName[];
    for (const name of selected) {
      if (!SERVICE_NAMES.includes(name)) throw new InvalidArgumentError(`unknown service "${name}"`);
      const url = config.databaseUrls[name];
      if (!url) throw new ConfigError(`TICKETING_DATABASE_URL (or TICKETING_${name.toUpperCase()}_DATABASE_URL) is not set`);
      const orm = await openOrm(serviceNamed(name).schema, url, 1, logger);
      try {
        const applied = await migrate(orm, serviceNamed(name).schema);
        console.log(`${name}: ${applied.length === 0 ? "up to date" : `applied ${applied.join(", ")}`} (${redact(url)})`);
      } finally {
        await orm.close();
      }
    }
  });

program
  .command("ticket-key")
  .description("generate an Ed25519 key to sign ticket codes with and print its TICKETING_TICKET_SIGNING_KEY line")
  .option("--pem", "print the key as PKCS#8 PEM instead, for a TICKETING_TICKET_SIGNING_KEY_FILE")
  .action((opts: { pem?: boolean }) => {
    const pem = generateSigningKey();
    const ring = new KeyRing(pem);
    const [pub] = ring.publicKeys();
    // The key itself goes to stdout (a file or a secret store); what to keep about it, to stderr.
    console.error(
      `# key id ${ring.signingKeyId}, public key ${Buffer.from(pub!.publicKey).toString("base64url")}\n` +
        "# after rotating to a newer key, list this public key in TICKETING_TICKET_VERIFICATION_KEYS so its codes still verify",
    );
    console.log(opts.pem ? pem.trimEnd() : `TICKETING_TICKET_SIGNING_KEY=${createPrivateKey(pem).export({ format: "der", type: "pkcs8" }).toString("base64")}`);
  });

program
  .command("token")
  .description("mint a development JWT signed with TICKETING_JWT_SECRET")
  .requiredOption("--sub <id>", "subject: the user id (or service name)")
  .addOption(new Option("--role <role>", "role").choices([...ROLES]).default("customer"))
  .option("--ttl <seconds>", "lifetime in seconds", (v) => positiveInt(v), 86_400)
  .action(async (opts: { sub: string; role: Role; ttl: number }) => {
    const secret = process.env["TICKETING_JWT_SECRET"];
    if (!secret || secret.length < 32) throw new ConfigError("TICKETING_JWT_SECRET must be set (at least 32 characters)");
    const issuer = process.env["TICKETING_JWT_ISSUER"]?.trim() || undefined;
    const audience = process.env["TICKETING_JWT_AUDIENCE"]?.trim() || undefined;
    const authority = new TokenAuthority(secret, {}, { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) });
    console.log(await authority.mint({ sub: opts.sub, role: opts.role }, opts.ttl));
  });

async function serve(services: readonly ServiceName[], migrateFirst: boolean, envFile: string | undefined): Promise<void> {
  const config = loadConfig(process.env, { services: SERVICES });
  const format = config.logFormat === "auto" ? (process.stdout.isTTY ? "pretty" : "json") : config.logFormat;
  const logger = createLogger(config.logLevel, { services: services.join(",") }, format);
  const port = listenPort(config, services);
  if (port !== 0) await assertPortFree(config.host, port);
  // Off unless an OTLP endpoint is configured: then the SDK is loaded, before anything that makes spans starts.
  const tracing = tracingWanted() ? await startTracing(`ticketing-${services.length === 1 ? services[0] : "all"}`) : undefined;
  if (tracing) logger.info({ endpoint: process.env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] || process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] }, "tracing on");
  const platform = await startPlatform({ services, config, logger, migrate: migrateFirst });
  const storage = platform.embedded
    ? `embedded PostgreSQL ${config.dataDir ? `in ${config.dataDir}` : "in memory"}`
    : "PostgreSQL";
  const bus = config.kafkaBrokers.length > 0 ? `Kafka at ${config.kafkaBrokers.join(",")}` : "in-process bus";
  // Only `make start` passes --write-env, and only then is there a pid file for `make stop` to signal.
  const stopHint = envFile ? "Ctrl-C, or `make stop` from another terminal" : "Ctrl-C";
  if (platform.embedded) {
    const welcome: Welcome = {
      url: platform.url,
      adminToken: await platform.tokens.mint({ sub: "admin", role: "admin" }, 30 * 86_400),
      customer: "alice",
      customerToken: await platform.tokens.mint({ sub: "alice", role: "customer" }, 30 * 86_400),
      jwtSecret: platform.jwtSecret,
    };
    const contexts = await writeCliContexts(welcome).catch((err: unknown) => {
      logger.warn({ err }, "could not write the ticketctl contexts");
      return undefined;
    });
    if (envFile) await writeEnvFile(envFile, welcome);
    // `source .run/env` rather than an absolute path, when the file is below where the command was started.
    const shown = envFile && !relative(process.cwd(), envFile).startsWith("..") ? relative(process.cwd(), envFile) : envFile;
    process.stderr.write(
      banner(welcome, { storage: `${storage}, ${bus}`, ...(contexts ? { contexts } : {}), ...(shown ? { envFile: shown } : {}), stop: stopHint, color: Boolean(process.stderr.isTTY) }),
    );
  } else {
    // A real deployment's tokens are never printed or written: mint them with `ticketing-server token`.
    if (envFile) await writeEnvFile(envFile, { url: platform.url });
    process.stderr.write(`\nticketing platform ready at ${platform.url}   (${storage}, ${bus}); stop: ${stopHint}\n\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    platform.close().then(
      async () => {
        await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, "flushing the last spans failed"));
        if (envFile) await removeEnvFile(envFile, platform.url);
        process.stderr.write(`ticketing platform at ${platform.url} stopped\n`);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof UnmigratedSchemaError || err instanceof InvalidArgumentError) {
    process.stderr.write(`ticketing-server: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PortInUseError) {
    process.stderr.write(`ticketing-server: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
