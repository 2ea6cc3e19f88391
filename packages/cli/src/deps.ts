import { createTicketingClient, type Protocol, type TicketingClient } from "@ticketing/sdk";
import { configPath, loadContexts, type Context } from "./contexts.js";
import { CliError, EXIT } from "./errors.js";
import { Output } from "./output.js";

/** Global flags every command accepts. */
export interface GlobalOptions {
  server?: string;
  token?: string;
  protocol?: string;
  context?: string;
  json?: boolean;
}

/** What commands get injected: tests pass fakes, main.ts passes the real ones. */
export interface Deps {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Builds a client; tests inject one over an in-memory router. */
  createClient: (connection: Connection) => TicketingClient;
}

/** The resolved connection: flags over TICKETCTL_* env over the current context. */
export interface Connection extends Required<Pick<Context, "server">> {
  token: string | undefined;
  customerToken: string | undefined;
  jwtSecret: string | undefined;
  protocol: Protocol;
  contextName: string | undefined;
  /** Whether `token` was named for this run (--token, TICKETCTL_TOKEN) rather than taken from the context. */
  tokenGiven?: boolean;
}

const PROTOCOLS: readonly Protocol[] = ["grpc", "connect", "grpc-web"];

async function resolveConnection(globals: GlobalOptions, deps: Pick<Deps, "env">): Promise<Connection> {
  const env = deps.env;
  const file = await loadContexts(configPath(env));
  const name = globals.context ?? env["TICKETCTL_CONTEXT"] ?? file.current;
  const ctx = name ? file.contexts[name] : undefined;
  if (name && !ctx && (globals.context || env["TICKETCTL_CONTEXT"])) {
    throw new CliError(`no context named "${name}"`, EXIT.usage, "list them with `ticketctl context list`");
  }
  const server = globals.server ?? env["TICKETCTL_SERVER"] ?? ctx?.server;
  if (!server) {
    throw new CliError(
      "no server to talk to",
      EXIT.usage,
      "start one with `make start` (it writes a context), or pass --server http://HOST:PORT",
    );
  }
  const protocol = (globals.protocol ?? env["TICKETCTL_PROTOCOL"] ?? ctx?.protocol ?? "grpc") as Protocol;
  if (!PROTOCOLS.includes(protocol)) throw new CliError(`--protocol must be one of ${PROTOCOLS.join(", ")}`, EXIT.usage);
  return {
    server,
    token: globals.token ?? env["TICKETCTL_TOKEN"] ?? ctx?.token,
    tokenGiven: Boolean(globals.token ?? env["TICKETCTL_TOKEN"]),
    customerToken: env["TICKETCTL_CUSTOMER_TOKEN"] ?? ctx?.customerToken,
    jwtSecret: env["TICKETCTL_JWT_SECRET"] ?? ctx?.jwtSecret,
    protocol,
    contextName: name,
  };
}

export const defaultCreateClient = (c: Connection): TicketingClient =>
  createTicketingClient({ baseUrl: c.server, ...(c.token ? { token: c.token } : {}), protocol: c.protocol });

/** What one command run uses: output for its flags, and a lazily connected client. */
export interface Run {
  out: Output;
  connection: () => Promise<Connection>;
  client: () => Promise<TicketingClient>;
  deps: Deps;
}

export function runFor(globals: GlobalOptions, deps: Deps): Run {
  let connection: Promise<Connection> | undefined;
  const conn = () => (connection ??= resolveConnection(globals, deps));
  return {
    out: new Output(deps.stdout as never, deps.stderr as never, Boolean(globals.json)),
    connection: conn,
    client: async () => deps.createClient(await conn()),
    deps,
  };
}
