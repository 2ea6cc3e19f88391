import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showOrder } from "./render.js";

async function runOrderCancel(r: Run, orderId: string, opts: { reason?: string }): Promise<void> {
  showOrder(r, (await (await r.client()).checkout.cancelOrder({ orderId, reason: opts.reason ?? "" })).order);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("cancel")
    .description("Cancel an unpaid order; its tickets go back on sale")
    .argument("<order-id>")
    .option("--reason <text>", "shown on the order")
    .addHelpText("after", examples("ticketctl order cancel 9d2e…", "ticketctl order cancel 9d2e… --reason 'duplicate'"))
    .action(act(deps, runOrderCancel));
}
