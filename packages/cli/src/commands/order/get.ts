import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showOrder } from "./render.js";

async function runOrderGet(r: Run, orderId: string): Promise<void> {
  showOrder(r, (await (await r.client()).checkout.getOrder({ orderId })).order);
}

export function register(parent: Command, deps: Deps): void {
  parent.command("get").description("Show one order").argument("<order-id>").addHelpText("after", examples("ticketctl order get 9d2e…")).action(act(deps, runOrderGet));
}
