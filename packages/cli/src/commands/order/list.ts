import type { Command } from "commander";
import { checkout as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { enumFlag, money, positiveInt, time } from "../../format.js";
import { act, examples } from "../shared.js";
import { status } from "./render.js";

async function runOrderList(r: Run, opts: { status?: string; limit: string }): Promise<void> {
  const { orders } = await (await r.client()).checkout.listOrders({
    status: enumFlag(pb.OrderStatus, opts.status, "--status"),
    pageSize: positiveInt(opts.limit, "--limit", 500),
  });
  r.out.list(pb.OrderSchema, orders, [
    { header: "ID", value: (o) => o.id },
    { header: "STATUS", value: (o) => status(o) },
    { header: "BUYER", value: (o) => o.userId },
    { header: "TOTAL", value: (o) => money(o.total), align: "right" },
    { header: "CREATED", value: (o) => time(o.createdAt) },
  ], "no orders");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List your orders (an admin's: everyone's), newest first")
    .option("-s, --status <status>", "only orders in this status, e.g. PAID")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl order list", "ticketctl order list --status PENDING_PAYMENT --json"))
    .action(act(deps, runOrderList));
}
