import { booking as pb } from "@ticketing/sdk";
import type { Run } from "../../deps.js";
import type { Column } from "../../output.js";

export const stockColumns: Column<pb.Stock>[] = [
  { header: "TICKET ID", value: (s) => s.ticketId },
  { header: "EVENT ID", value: (s) => s.eventId },
  { header: "TOTAL", value: (s) => String(s.total), align: "right" },
  { header: "HELD", value: (s) => String(s.held), align: "right" },
  { header: "SOLD", value: (s) => String(s.sold), align: "right" },
  { header: "AVAILABLE", value: (s) => String(s.available), align: "right" },
];

/** One stock: a JSON object with --json (not a one-element array), else a one-row table. */
export function showStock(r: Run, stock: pb.Stock | undefined): void {
  if (r.out.json) r.out.message(pb.StockSchema, stock, () => "");
  else r.out.list(pb.StockSchema, stock ? [stock] : [], stockColumns, "no stock");
}
