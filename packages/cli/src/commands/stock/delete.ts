import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";

async function runStockDelete(r: Run, ticketId: string): Promise<void> {
  await (await r.client()).bookings.deleteStock({ ticketId });
  r.out.data({ deleted: ticketId }, () => `deleted stock ${ticketId}`);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("delete")
    .description("Delete a stock that has nothing held or sold (admin)")
    .argument("<ticket-id>")
    .addHelpText("after", examples("ticketctl stock delete 0b7e…"))
    .action(act(deps, runStockDelete));
}
