import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showStock } from "./render.js";

async function runStockGet(r: Run, ticketId: string): Promise<void> {
  showStock(r, (await (await r.client()).bookings.getStock({ ticketId })).stock);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("get")
    .description("Show one ticket type's availability")
    .argument("<ticket-id>")
    .addHelpText("after", examples("ticketctl stock get 0b7e…"))
    .action(act(deps, runStockGet));
}
