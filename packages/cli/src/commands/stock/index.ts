import type { Command } from "commander";
import { booking as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { positiveInt } from "../../format.js";
import type { Column } from "../../output.js";
import { act, examples } from "../shared.js";

export const STOCK_COLUMNS: Column<pb.Stock>[] = [
  { header: "TICKET ID", value: (s) => s.ticketId },
  { header: "EVENT ID", value: (s) => s.eventId },
  { header: "TOTAL", value: (s) => String(s.total), align: "right" },
  { header: "HELD", value: (s) => String(s.held), align: "right" },
  { header: "SOLD", value: (s) => String(s.sold), align: "right" },
  { header: "AVAILABLE", value: (s) => String(s.available), align: "right" },
];

const one = (r: Run, stock: pb.Stock | undefined) => r.out.list(pb.StockSchema, stock ? [stock] : [], STOCK_COLUMNS, "no stock");

/** Runs `ticketctl stock create` with the given run context and arguments. */
export async function runStockCreate(r: Run, ticketId: string, eventId: string, total: string): Promise<void> {
  const { stock } = await (await r.client()).bookings.createStock({ ticketId, eventId, total: positiveInt(total, "TOTAL", 1_000_000) });
  if (r.out.json) r.out.message(pb.StockSchema, stock, () => "");
  else one(r, stock);
}

/** Runs `ticketctl stock get` with the given run context and arguments. */
export async function runStockGet(r: Run, ticketId: string): Promise<void> {
  const { stock } = await (await r.client()).bookings.getStock({ ticketId });
  if (r.out.json) r.out.message(pb.StockSchema, stock, () => "");
  else one(r, stock);
}

/** Runs `ticketctl stock list` with the given run context and arguments. */
export async function runStockList(r: Run, opts: { event?: string; limit: string }): Promise<void> {
  const { stocks } = await (await r.client()).bookings.getStocks({ eventId: opts.event ?? "", pageSize: positiveInt(opts.limit, "--limit", 500) });
  r.out.list(pb.StockSchema, stocks, STOCK_COLUMNS, "no stock");
}

/** Runs `ticketctl stock delete` with the given run context and arguments. */
export async function runStockDelete(r: Run, ticketId: string): Promise<void> {
  await (await r.client()).bookings.deleteStock({ ticketId });
  r.out.data({ deleted: ticketId }, () => `deleted stock ${ticketId}`);
}

/** Registers the `ticketctl stock` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent
    .command("create")
    .description("Create the stock of a ticket type (admin; CreateEvent does this for you)")
    .arguments("<ticket-id> <event-id> <total>")
    .addHelpText("after", examples("ticketctl stock create 0b7e… 6f1c… 500"))
    .action(act(deps, runStockCreate));
  parent
    .command("list")
    .description("List stocks with total, held, sold and available")
    .option("-e, --event <event-id>", "only this event's stocks")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl stock list --event 6f1c…", "ticketctl stock list --json"))
    .action(act(deps, runStockList));
  parent
    .command("get")
    .description("Show one ticket type's availability")
    .argument("<ticket-id>")
    .addHelpText("after", examples("ticketctl stock get 0b7e…"))
    .action(act(deps, runStockGet));
  parent
    .command("delete")
    .description("Delete a stock that has nothing held or sold (admin)")
    .argument("<ticket-id>")
    .addHelpText("after", examples("ticketctl stock delete 0b7e…"))
    .action(act(deps, runStockDelete));
}
