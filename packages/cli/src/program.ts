import { Command, Option } from "commander";
import { createRequire } from "node:module";
import { booking } from "./commands/booking/index.js";
import { cart } from "./commands/cart/index.js";
import * as completion from "./commands/completion.js";
import { context } from "./commands/context/index.js";
import * as e2e from "./commands/e2e.js";
import { event } from "./commands/event/index.js";
import { load } from "./commands/load/index.js";
import { checkin } from "./commands/checkin/index.js";
import { notification } from "./commands/notification/index.js";
import { order } from "./commands/order/index.js";
import { examples, type Noun } from "./commands/shared.js";
import * as shop from "./commands/shop.js";
import { stock } from "./commands/stock/index.js";
import { ticket } from "./commands/ticket/index.js";
import type { Deps } from "./deps.js";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/** Builds the `ticketctl` command tree; parsing is kept apart from running so tests need no process. */
export function buildProgram(deps: Deps): Command {
  const program = new Command("ticketctl")
    .description("Admin and operator CLI for the ticketing platform: every RPC as `ticketctl <noun> <verb>`")
    .version(version, "-v, --version", "print the ticketctl version")
    .addOption(new Option("--server <url>", "server base URL (env TICKETCTL_SERVER)"))
    .addOption(new Option("--token <jwt>", "bearer token (env TICKETCTL_TOKEN)"))
    .addOption(new Option("--protocol <protocol>", "grpc, connect or grpc-web (env TICKETCTL_PROTOCOL)"))
    .addOption(new Option("--context <name>", "use this saved context (env TICKETCTL_CONTEXT)"))
    .addOption(new Option("--json", "print proto JSON instead of tables, no colour"))
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => void deps.stdout.write(s),
      writeErr: (s) => void deps.stderr.write(s),
    })
    .addHelpText(
      "after",
      examples("ticketctl event list", "ticketctl order pay 9d2e… --reference psp_123", "ticketctl e2e --json") +
        "\nConnection: flags, then TICKETCTL_* variables, then the current context (`ticketctl context list`).\n" +
        "Exit codes: 0 ok, 1 error, 2 usage, 4 not authenticated / not allowed, 130 interrupted.\n",
    );

  const nouns: Noun[] = [event, ticket, stock, cart, order, booking, notification, checkin, context, load];
  for (const noun of nouns) {
    const parent = program.command(noun.name).description(noun.description);
    for (const verb of noun.verbs) verb.register(parent, deps);
  }
  shop.register(program, deps);
  e2e.register(program, deps);
  completion.register(program, deps);
  // Every command reports usage errors instead of exiting on its own; main.ts maps them to exit code 2.
  const exitOverride = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => void deps.stdout.write(s), writeErr: (s) => void deps.stderr.write(s) });
    c.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}
