import type { Command } from "commander";
import { event as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { money } from "../../format.js";
import { act, examples } from "../shared.js";

async function runTicketGet(r: Run, ticketId: string): Promise<void> {
  const { ticketType: t } = await (await r.client()).events.getTicket({ ticketId });
  r.out.message(pb.TicketTypeSchema, t, () =>
    t ? `${r.out.strong(t.name)}  ${t.id}\nevent ${t.eventId}\nprice ${money(t.price)}, capacity ${t.capacity}` : "(none)",
  );
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("get")
    .description("Show one ticket type")
    .argument("<ticket-id>", "the ticket type's id")
    .addHelpText("after", examples("ticketctl ticket get 0b7e…"))
    .action(act(deps, runTicketGet));
}
