import type { Command } from "commander";
import { decodeJwt } from "jose";
import type { Deps, Run } from "../../deps.js";
import { configPath, loadContexts, saveContexts } from "../../contexts.js";
import { CliError, EXIT } from "../../errors.js";
import { table } from "../../output.js";
import { act, examples } from "../shared.js";

const path = (r: Run) => configPath(r.deps.env);

/** Runs `ticketctl context add` with the given run context and arguments. */
export async function runContextAdd(
  r: Run,
  name: string,
  opts: { server?: string; token?: string; customerToken?: string; protocol?: string; use?: boolean },
): Promise<void> {
  if (!opts.server) throw new CliError("context add needs --server URL", EXIT.usage);
  try {
    new URL(opts.server);
  } catch {
    throw new CliError(`--server "${opts.server}" is not a URL like http://127.0.0.1:50600`, EXIT.usage);
  }
  if (opts.protocol && !["grpc", "connect", "grpc-web"].includes(opts.protocol)) {
    throw new CliError("--protocol must be grpc, connect or grpc-web", EXIT.usage);
  }
  const file = await loadContexts(path(r));
  file.contexts[name] = {
    server: opts.server as string,
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.customerToken ? { customerToken: opts.customerToken } : {}),
    ...(opts.protocol ? { protocol: opts.protocol as "grpc" } : {}),
  };
  if (opts.use || !file.current) file.current = name;
  await saveContexts(path(r), file);
  r.out.info(`context "${name}" saved${file.current === name ? " and in use" : ""} (${path(r)})`);
}

/** Runs `ticketctl context use` with the given run context and arguments. */
export async function runContextUse(r: Run, name: string): Promise<void> {
  const file = await loadContexts(path(r));
  if (!file.contexts[name]) throw new CliError(`no context named "${name}"`, EXIT.usage, "list them with `ticketctl context list`");
  file.current = name;
  await saveContexts(path(r), file);
  r.out.info(`using context "${name}"`);
}

/** Who a token speaks for, read from its claims without verifying it (only the server can): "admin", "customer alice". */
function holder(token: string | undefined): { role?: string; subject?: string; expired?: boolean } {
  if (!token) return {};
  try {
    const claims = decodeJwt(token);
    return {
      ...(typeof claims["role"] === "string" ? { role: claims["role"] } : {}),
      ...(claims.sub ? { subject: claims.sub } : {}),
      ...(claims.exp !== undefined && claims.exp * 1000 < Date.now() ? { expired: true } : {}),
    };
  } catch {
    return {};
  }
}

/** Runs `ticketctl context list` with the given run context and arguments. */
export async function runContextList(r: Run): Promise<void> {
  const file = await loadContexts(path(r));
  const rows = Object.entries(file.contexts).map(([name, c]) => ({
    name,
    current: name === file.current,
    server: c.server,
    protocol: c.protocol ?? "grpc",
    token: Boolean(c.token),
    ...holder(c.token),
  }));
  r.out.data(rows, () =>
    rows.length === 0
      ? "no contexts; add one with `ticketctl context add NAME --server URL --token JWT`"
      : table(rows, [
          { header: "  NAME", value: (c) => `${c.current ? "*" : " "} ${c.name}` },
          { header: "SERVER", value: (c) => c.server },
          { header: "PROTOCOL", value: (c) => c.protocol },
          {
            header: "TOKEN",
            value: (c) => {
              if (!c.token) return "(none)";
              if (!c.role) return "set";
              const who = c.subject && c.subject !== c.role ? `${c.role} ${c.subject}` : c.role;
              return c.expired ? `${who} (expired)` : who;
            },
          },
        ]),
  );
}

/** Runs `ticketctl context remove` with the given run context and arguments. */
export async function runContextRemove(r: Run, name: string): Promise<void> {
  const file = await loadContexts(path(r));
  if (!file.contexts[name]) throw new CliError(`no context named "${name}"`, EXIT.usage);
  delete file.contexts[name];
  if (file.current === name) delete file.current;
  await saveContexts(path(r), file);
  r.out.info(`context "${name}" removed`);
}

/** Registers the `ticketctl context` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent
    .command("add")
    .description("Save how to reach a deployment (in the XDG config dir)")
    .argument("<name>")
    .option("--customer-token <jwt>", "a customer's token, used by `ticketctl e2e` to buy")
    .option("--use", "switch to it")
    .addHelpText("before", "Takes the global --server (required), --token and --protocol.\n")
    .addHelpText("after", examples("ticketctl context add staging --server https://tickets.staging.example --token $TOKEN --use"))
    .action(act(deps, runContextAdd));
  parent.command("use").description("Switch to a saved context").argument("<name>").addHelpText("after", examples("ticketctl context use embedded-50600-customer")).action(act(deps, runContextUse));
  parent.command("list").description("List saved contexts (* = in use)").addHelpText("after", examples("ticketctl context list")).action(act(deps, runContextList));
  parent.command("remove").description("Forget a context").argument("<name>").addHelpText("after", examples("ticketctl context remove staging")).action(act(deps, runContextRemove));
}
