import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showOrder } from "./render.js";

async function runOrderPay(r: Run, orderId: string, opts: { reference: string }): Promise<void> {
  showOrder(r, (await (await r.client()).checkout.markOrderAsPaid({ orderId, paymentReference: opts.reference })).order);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("pay")
    .description("Record the payment of an order (admin / payment webhook); its tickets become sold")
    .argument("<order-id>")
    .requiredOption("-r, --reference <ref>", "the payment provider's reference")
    .addHelpText("after", examples("ticketctl order pay 9d2e… --reference psp_123"))
    .action(act(deps, runOrderPay));
}
