import type { Command } from "commander";
import { runFor, type Deps, type GlobalOptions, type Run } from "../deps.js";

/** A `ticketctl <noun>` command: the verbs are added in this order, which is also the order --help lists them in. */
export interface Noun {
  name: string;
  description: string;
  verbs: { register: (parent: Command, deps: Deps) => void }[];
}

/** Wraps a command's run function: the commander action only gathers flags and calls it with a Run. */
export function act<A extends unknown[]>(deps: Deps, run: (r: Run, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals() as GlobalOptions;
    const rest = args.slice(0, -1);
    // The options object (last before the command) also carries the global flags, e.g. for `context add --server`.
    if (rest.length > 0 && typeof rest[rest.length - 1] === "object") rest[rest.length - 1] = globals;
    await run(runFor(globals, deps), ...(rest as A));
  };
}

/** The "Examples:" block of a command's --help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}
