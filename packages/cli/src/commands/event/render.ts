import { event as pb } from "@ticketing/sdk";
import type { Run } from "../../deps.js";
import { money, time } from "../../format.js";
import { table } from "../../output.js";

function renderEvent(e: pb.Event | undefined, r: Run): string {
  if (!e) return "(no event)";
  const venue = [e.venue?.name, e.venue?.location].filter(Boolean).join(", ");
  return [
    `${r.out.strong(e.name)}  ${e.id}`,
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

export const showEvent = (r: Run, e: pb.Event | undefined) => r.out.message(pb.EventSchema, e, () => renderEvent(e, r));
