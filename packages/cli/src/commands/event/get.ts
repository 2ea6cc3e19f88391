import type { Command } from "commander";
import { event as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { money, time } from "../../format.js";
import { table, type Output } from "../../output.js";
import { act, examples } from "../shared.js";

/** The human-readable rendering used when --json is not given. */
export function renderEvent(e: pb.Event | undefined, out: Output): string {
  if (!e) return "(no event)";
  const venue = [e.venue?.name, e.venue?.location].filter(Boolean).join(", ");
  return [
    `${out.strong(e.name)}  ${e.id}`,
    `${time(e.startsAt)} – ${time(e.endsAt)}${venue ? `  ${venue}` : ""}`,
    ...(e.description ? [e.description] : []),
    "",
    table(e.ticketTypes, [
      { header: "TICKET ID", value: (t) => t.id },
      { header: "NAME", value: (t) => t.name },
      { header: "PRICE", value: (t) => money(t.price), align: "right" },
      { header: "CAPACITY", value: (t) => String(t.capacity), align: "right" },
    ]),
  ].join("\n");
}

/** Runs `ticketctl event get` with the given run context and arguments. */
export async function runEventGet(r: Run, eventId: string): Promise<void> {
  const { event } = await (await r.client()).events.getEvent({ eventId });
  r.out.message(pb.EventSchema, event, () => renderEvent(event, r.out));
}

/** Registers the `ticketctl event get` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent
    .command("get")
    .description("Show one event with its ticket types")
    .argument("<event-id>", "the event's id")
    .addHelpText("after", examples("ticketctl event get 6f1c2a0e-…", "ticketctl event get 6f1c2a0e-… --json"))
    .action(act(deps, runEventGet));
}
