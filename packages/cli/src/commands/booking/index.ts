import type { Command } from "commander";
import { booking as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { enumName, positiveInt, time } from "../../format.js";
import type { Column } from "../../output.js";
import { act, examples } from "../shared.js";

const COLUMNS: Column<pb.Booking>[] = [
  { header: "ID", value: (b) => b.id },
  { header: "ORDER ID", value: (b) => b.orderId },
  { header: "TICKET ID", value: (b) => b.ticketId },
  { header: "QTY", value: (b) => String(b.quantity), align: "right" },
  { header: "STATUS", value: (b) => enumName(pb.BookingStatus, b.status, "") },
  { header: "EXPIRES", value: (b) => time(b.expiresAt) },
];

/** Runs `ticketctl booking list` with the given run context and arguments. */
export async function runBookingList(r: Run, opts: { order?: string; status?: string; limit: string }): Promise<void> {
  const statusValue = opts.status ? pb.BookingStatus[opts.status.toUpperCase() as keyof typeof pb.BookingStatus] : pb.BookingStatus.UNSPECIFIED;
  if (typeof statusValue !== "number") throw new CliError("--status must be one of HELD, CONFIRMED, RELEASED, EXPIRED", EXIT.usage);
  const { bookings } = await (await r.client()).bookings.getBookings({
    orderId: opts.order ?? "",
    status: statusValue,
    pageSize: positiveInt(opts.limit, "--limit", 500),
  });
  r.out.list(pb.BookingSchema, bookings, COLUMNS, "no bookings");
}

/** Runs `ticketctl booking expire` with the given run context and arguments. */
export async function runBookingExpire(r: Run, ids: string[], opts: { allDue?: boolean }): Promise<void> {
  const { bookings } = await (await r.client()).bookings.expireBookings(opts.allDue ? { allDue: true } : { bookingIds: ids });
  r.out.list(pb.BookingSchema, bookings, COLUMNS, "nothing to expire");
}

/** Runs `ticketctl booking release` with the given run context and arguments. */
export async function runBookingRelease(r: Run, orderId: string): Promise<void> {
  const { bookings } = await (await r.client()).bookings.deleteOrderBookings({ orderId });
  r.out.list(pb.BookingSchema, bookings, COLUMNS, "nothing was held for that order");
}

/** Registers the `ticketctl booking` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List holds (admin), newest first")
    .option("-o, --order <order-id>", "only this order's holds")
    .option("-s, --status <status>", "HELD, CONFIRMED, RELEASED or EXPIRED")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl booking list --order 9d2e…", "ticketctl booking list --status HELD --json"))
    .action(act(deps, runBookingList));
  parent
    .command("expire")
    .description("Expire exactly the given holds, or every due one with --all-due (admin)")
    .argument("[booking-ids...]")
    .option("--all-due", "expire every hold past its expiry")
    .addHelpText("after", examples("ticketctl booking expire 1a2b… 3c4d…", "ticketctl booking expire --all-due"))
    .action(act(deps, runBookingExpire));
  parent
    .command("release")
    .description("Release every held ticket of an order (admin)")
    .argument("<order-id>")
    .addHelpText("after", examples("ticketctl booking release 9d2e…"))
    .action(act(deps, runBookingRelease));
}
