import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { showEvent } from "./render.js";

async function runEventGet(r: Run, eventId: string): Promise<void> {
  showEvent(r, (await (await r.client()).events.getEvent({ eventId })).event);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("get")
    .description("Show one event with its ticket types")
    .argument("<event-id>", "the event's id")
    .addHelpText("after", examples("ticketctl event get 6f1c2a0e-…", "ticketctl event get 6f1c2a0e-… --json"))
    .action(act(deps, runEventGet));
}
