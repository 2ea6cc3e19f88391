import type { Command } from "commander";
import { admission as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { positiveInt, time } from "../../format.js";
import { act, examples } from "../shared.js";

async function runCheckInList(r: Run, opts: { event?: string; gate?: string; limit: string }): Promise<void> {
  if (!opts.event) throw new CliError("give the event: ticketctl checkin list --event <event-id>", EXIT.usage);
  const { checkIns } = await (await r.client()).admission.listCheckIns({ eventId: opts.event, gate: opts.gate === "ticketctl" ? "" : (opts.gate ?? ""), pageSize: positiveInt(opts.limit, "--limit", 500) });
  r.out.list(pb.CheckInSchema, checkIns, [
    { header: "CHECKED IN", value: (c) => time(c.checkedInAt) },
    { header: "GATE", value: (c) => c.gate },
    { header: "TICKET ID", value: (c) => c.ticketId },
    { header: "OFFLINE", value: (c) => (c.offline ? "yes" : "") },
  ], "no check-ins");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List an event's admissions (--event, required), newest first (admin)")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl checkin list --event 0192…"))
    .action(act(deps, runCheckInList));
}
