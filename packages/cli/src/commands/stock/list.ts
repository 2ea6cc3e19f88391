import type { Command } from "commander";
import { booking as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { positiveInt } from "../../format.js";
import { act, examples } from "../shared.js";
import { stockColumns } from "./render.js";

async function runStockList(r: Run, opts: { event?: string; limit: string }): Promise<void> {
  const { stocks } = await (await r.client()).bookings.getStocks({ eventId: opts.event ?? "", pageSize: positiveInt(opts.limit, "--limit", 500) });
  r.out.list(pb.StockSchema, stocks, stockColumns, "no stock");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List stocks with total, held, sold and available")
    .option("-e, --event <event-id>", "only this event's stocks")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl stock list --event 6f1c…", "ticketctl stock list --json"))
    .action(act(deps, runStockList));
}
