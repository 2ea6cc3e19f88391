import type { Command } from "commander";
import { event as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { positiveInt, time } from "../../format.js";
import { act, examples } from "../shared.js";

async function runEventList(r: Run, opts: { limit: string; all?: boolean }): Promise<void> {
  const client = await r.client();
  const limit = positiveInt(opts.limit, "--limit", 500);
  const events: pb.Event[] = [];
  let pageToken = "";
  do {
    const page = await client.events.listEvents({ pageSize: limit, pageToken });
    events.push(...page.events);
    pageToken = opts.all ? page.nextPageToken : "";
  } while (pageToken);
  r.out.list(pb.EventSchema, events, [
    { header: "ID", value: (e) => e.id },
    { header: "NAME", value: (e) => e.name },
    { header: "STARTS", value: (e) => time(e.startsAt) },
    { header: "VENUE", value: (e) => e.venue?.name ?? "" },
    { header: "TICKET TYPES", value: (e) => String(e.ticketTypes.length), align: "right" },
  ], "no events");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List events by start time")
    .option("-l, --limit <n>", "events per page", "50")
    .option("-a, --all", "follow page tokens to the end")
    .addHelpText("after", examples("ticketctl event list", "ticketctl event list --all --json"))
    .action(act(deps, runEventList));
}
