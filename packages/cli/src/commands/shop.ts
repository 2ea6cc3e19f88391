import type { Command } from "commander";
import type { Deps, Run } from "../deps.js";
import { CliError, EXIT } from "../errors.js";
import { act, examples } from "./shared.js";

/** Runs `ticketctl shop` with the given run context and arguments. */
export async function runShop(r: Run): Promise<void> {
  if (!r.deps.stdin.isTTY || !r.deps.stdout.isTTY) {
    throw new CliError("shop is interactive and needs a terminal", EXIT.usage, "use `ticketctl cart add` and `ticketctl order place` in scripts");
  }
  const { shopView } = await import("../ui/shop.js");
  await shopView(await r.client(), r.deps);
}

/** Registers the `ticketctl shop` command(s) on their parent. */
export function register(program: Command, deps: Deps): void {
  program
    .command("shop")
    .description("Buy interactively: browse events, pick tickets, place, pay and follow the order live (terminal only)")
    .addHelpText("after", examples("ticketctl shop", "ticketctl shop --context embedded"))
    .action(act(deps, runShop));
}
