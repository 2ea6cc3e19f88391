import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { positiveInt } from "../../format.js";
import { act, examples } from "../shared.js";
import { showStock } from "./render.js";

async function runStockCreate(r: Run, ticketId: string, eventId: string, total: string): Promise<void> {
  const { stock } = await (await r.client()).bookings.createStock({ ticketId, eventId, total: positiveInt(total, "TOTAL", 1_000_000) });
  showStock(r, stock);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("create")
    .description("Create the stock of a ticket type (admin; CreateEvent does this for you)")
    .arguments("<ticket-id> <event-id> <total>")
    .addHelpText("after", examples("ticketctl stock create 0b7e… 6f1c… 500"))
    .action(act(deps, runStockCreate));
}
