import { Command } from "commander";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { version } = require("../package.json") as { version: string };

/** Builds the `ticketctl` command tree; parsing is kept apart from running so tests need no process. */
export function buildProgram(): Command {
  return new Command("ticketctl")
    .description("Admin and operator CLI for the ticketing platform")
    .version(version, "-v, --version", "print the ticketctl version")
    .addHelpText("after", "\nExamples:\n  $ ticketctl --version\n  $ ticketctl --help\n");
}
