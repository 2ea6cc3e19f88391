#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from "commander";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { ROLES, TokenAuthority, type Role } from "./platform/auth.js";
import { RUNNABLE, SCHEMAS, startPlatform, type RunnableService } from "./platform/app.js";
import { ConfigError, loadConfig, redact } from "./platform/config.js";
import { migrate, openOrm, UnmigratedSchemaError } from "./platform/db.js";
import { createLogger } from "./platform/logger.js";

const program = new Command("ticketing-server")
  .description("Reference services of the ticketing platform")
  .showHelpAfterError();

for (const name of [...RUNNABLE, "all"] as const) {
  program
    .command(name)
    .description(name === "all" ? "run every service in one process, on one port" : `run the ${name} service`)
    .option("--migrate", "apply pending migrations before starting")
    .action(async (opts: { migrate?: boolean }) => {
      await serve(name === "all" ? RUNNABLE : [name], opts.migrate ?? false);
    });
}

program
  .command("migrate")
  .description("apply the pending migrations of the given services (default: all) to TICKETING_DATABASE_URL")
  .argument("[services...]", `any of ${RUNNABLE.join(", ")}`)
  .action(async (names: string[]) => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    const selected = (names.length > 0 ? names : RUNNABLE) as RunnableService[];
    for (const name of selected) {
      if (!RUNNABLE.includes(name)) throw new InvalidArgumentError(`unknown service "${name}"`);
      const url = config.databaseUrls[name];
      if (!url) throw new ConfigError(`TICKETING_DATABASE_URL (or TICKETING_${name.toUpperCase()}_DATABASE_URL) is not set`);
      const orm = await openOrm(SCHEMAS[name], url, 1, logger);
      try {
        const applied = await migrate(orm, SCHEMAS[name]);
        console.log(`${name}: ${applied.length === 0 ? "up to date" : `applied ${applied.join(", ")}`} (${redact(url)})`);
      } finally {
        await orm.close();
      }
    }
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
    console.log(await new TokenAuthority(secret).mint({ sub: opts.sub, role: opts.role }, opts.ttl));
  });

async function serve(services: readonly RunnableService[], migrateFirst: boolean): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { services: services.join(",") });
  const platform = await startPlatform({ services, config, logger, migrate: migrateFirst });
  if (platform.embedded) {
    const admin = await platform.tokens.mint({ sub: "admin", role: "admin" }, 30 * 86_400);
    const customer = await platform.tokens.mint({ sub: "alice", role: "customer" }, 30 * 86_400);
    const contextFile = await writeCliContext(platform.url, admin, customer, platform.jwtSecret).catch(() => undefined);
    process.stderr.write(
      [
        "",
        `ticketing platform (embedded PostgreSQL${config.dataDir ? ` in ${config.dataDir}` : ", in memory"}, ${
          config.kafkaBrokers.length > 0 ? `Kafka at ${config.kafkaBrokers.join(",")}` : "in-process bus"
        })`,
        `  address:     ${platform.url}   (gRPC, Connect and gRPC-web)`,
        `  admin token: ${admin}`,
        `  customer token (alice): ${customer}`,
        contextFile ? `  ticketctl context "embedded" written to ${contextFile}` : "",
        `  try:         npx buf curl --protocol grpc --http2-prior-knowledge --header "authorization: Bearer $TOKEN" \\`,
        `                 ${platform.url}/ticketing.event.v1.EventService/ListEvents`,
        "",
      ].join("\n") + "\n",
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    platform.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/**
 * Writes (or updates) the ticketctl context "embedded" so `ticketctl` works against this process at once. The
 * embedded server's throwaway signing secret goes with it (file mode 0600), so `ticketctl e2e` and `load onsale` can
 * mint tokens for synthetic buyers; a real deployment's secret is never written anywhere.
 */
async function writeCliContext(server: string, token: string, customerToken: string, jwtSecret: string): Promise<string> {
  const dir = join(process.env["XDG_CONFIG_HOME"] || join(homedir(), ".config"), "ticketctl");
  const file = join(dir, "config.json");
  let current: { current?: string; contexts?: Record<string, unknown> } = {};
  try {
    current = JSON.parse(await readFile(file, "utf8"));
  } catch {
    // no config yet
  }
  const next = {
    ...current,
    current: "embedded",
    contexts: { ...(current.contexts ?? {}), embedded: { server, token, customerToken, jwtSecret, protocol: "grpc" } },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  return file;
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
  throw err;
}
