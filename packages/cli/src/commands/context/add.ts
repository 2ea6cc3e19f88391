import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { configPath, loadContexts, saveContexts } from "../../contexts.js";
import { CliError, EXIT } from "../../errors.js";
import { act, examples } from "../shared.js";

async function runContextAdd(
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
  const path = configPath(r.deps.env);
  const file = await loadContexts(path);
  file.contexts[name] = {
    server: opts.server,
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.customerToken ? { customerToken: opts.customerToken } : {}),
    ...(opts.protocol ? { protocol: opts.protocol as "grpc" } : {}),
  };
  if (opts.use || !file.current) file.current = name;
  await saveContexts(path, file);
  r.out.info(`context "${name}" saved${file.current === name ? " and in use" : ""} (${path})`);
}

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
}
