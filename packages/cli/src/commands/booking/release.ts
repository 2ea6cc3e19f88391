import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showBookings } from "./render.js";

async function runBookingRelease(r: Run, orderId: string): Promise<void> {
  const { bookings } = await (await r.client()).bookings.deleteOrderBookings({ orderId });
  showBookings(r, bookings, "nothing was held for that order");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("release")
    .description("Release every held ticket of an order (admin)")
    .argument("<order-id>")
    .addHelpText("after", examples("ticketctl booking release 9d2e…"))
    .action(act(deps, runBookingRelease));
}
