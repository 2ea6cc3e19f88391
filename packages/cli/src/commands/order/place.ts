import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showOrder } from "./render.js";

async function runOrderPlace(r: Run, opts: { idempotencyKey?: string }): Promise<void> {
  const { order } = await (await r.client()).checkout.placeOrder(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {});
  showOrder(r, order);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("place")
    .description("Turn your cart into an order; its tickets are held until the order is paid or expires")
    .option("--idempotency-key <key>", "a retried place returns the first order")
    .addHelpText("after", examples("ticketctl order place", "ticketctl order place --idempotency-key checkout-42 --json"))
    .action(act(deps, runOrderPlace));
}
