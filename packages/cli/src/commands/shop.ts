import type { Command } from "commander";
import type { Deps, Run } from "../deps.js";
import { CliError, EXIT } from "../errors.js";
import { act, examples } from "./shared.js";

/**
 * Buys as the context's customer when the context has one (the contexts `make start` writes do) and no token was
 * named for this run; the admin token then stands in for the payment provider, the only caller allowed to mark an
 * order paid.
 */
async function runShop(r: Run): Promise<void> {
  if (!r.deps.stdin.isTTY || !r.deps.stdout.isTTY) {
    throw new CliError("shop is interactive and needs a terminal", EXIT.usage, "use `ticketctl cart add` and `ticketctl order place` in scripts");
  }
  const conn = await r.connection();
  const asCustomer = !conn.tokenGiven && conn.customerToken !== undefined;
  const buyer = asCustomer ? r.deps.createClient({ ...conn, token: conn.customerToken }) : await r.client();
  const payer = asCustomer ? await r.client() : undefined;
  const { shopView } = await import("../ui/shop.js");
  await shopView(buyer, payer, r.deps);
}

export function register(program: Command, deps: Deps): void {
  program
    .command("shop")
    .description("Buy interactively: browse events, pick tickets, place, pay, follow the order live and get its tickets' QR codes (terminal only)")
    .addHelpText("before", "Buys as the context's customer when it has one (the contexts `make start` writes do), else with the token in use.\n")
    .addHelpText("after", examples("ticketctl shop", "ticketctl shop --context embedded-50600-customer"))
    .action(act(deps, runShop));
}
