import type { Command } from "commander";
import { booking as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { enumFlag, positiveInt } from "../../format.js";
import { act, examples } from "../shared.js";
import { showBookings } from "./render.js";

async function runBookingList(r: Run, opts: { order?: string; status?: string; limit: string }): Promise<void> {
  const { bookings } = await (await r.client()).bookings.getBookings({
    orderId: opts.order ?? "",
    status: enumFlag(pb.BookingStatus, opts.status, "--status"),
    pageSize: positiveInt(opts.limit, "--limit", 500),
  });
  showBookings(r, bookings, "no bookings");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List holds (admin), newest first")
    .option("-o, --order <order-id>", "only this order's holds")
    .option("-s, --status <status>", "HELD, CONFIRMED, RELEASED or EXPIRED")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl booking list --order 9d2e…", "ticketctl booking list --status HELD --json"))
    .action(act(deps, runBookingList));
}
