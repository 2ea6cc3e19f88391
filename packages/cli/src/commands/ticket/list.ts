import type { Command } from "commander";
import { admission as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { enumName, positiveInt, time } from "../../format.js";
import { act, examples } from "../shared.js";

async function runTicketList(r: Run, opts: { order?: string; event?: string; user?: string; limit: string }): Promise<void> {
  const { tickets } = await (await r.client()).admission.listTickets({
    orderId: opts.order ?? "",
    eventId: opts.event ?? "",
    userId: opts.user ?? "",
    pageSize: positiveInt(opts.limit, "--limit", 500),
  });
  r.out.list(pb.TicketSchema, tickets, [
    { header: "TICKET ID", value: (t) => t.id },
    { header: "TYPE", value: (t) => t.ticketTypeName },
    { header: "#", value: (t) => String(t.number), align: "right" },
    { header: "STATUS", value: (t) => enumName(pb.TicketStatus, t.status, "") },
    { header: "ISSUED", value: (t) => time(t.issuedAt) },
    { header: "ORDER ID", value: (t) => t.orderId },
  ], "no tickets");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List issued tickets (yours, unless you are an admin)")
    .option("-o, --order <order-id>", "only this order's")
    .option("-e, --event <event-id>", "only for this event")
    .option("-u, --user <user-id>", "only this user's (admins)")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl ticket list", "ticketctl ticket list --order 9d2e… --json"))
    .action(act(deps, runTicketList));
}
