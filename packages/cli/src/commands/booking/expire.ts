import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showBookings } from "./render.js";

async function runBookingExpire(r: Run, ids: string[], opts: { allDue?: boolean }): Promise<void> {
  const { bookings } = await (await r.client()).bookings.expireBookings(opts.allDue ? { allDue: true } : { bookingIds: ids });
  showBookings(r, bookings, "nothing to expire");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("expire")
    .description("Expire exactly the given holds, or every due one with --all-due (admin)")
    .argument("[booking-ids...]")
    .option("--all-due", "expire every hold past its expiry")
    .addHelpText("after", examples("ticketctl booking expire 1a2b… 3c4d…", "ticketctl booking expire --all-due"))
    .action(act(deps, runBookingExpire));
}
