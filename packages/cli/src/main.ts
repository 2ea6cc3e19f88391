#!/usr/bin/env node
import { CommanderError } from "commander";
import { defaultCreateClient, type Deps } from "./deps.js";
import { describeError, EXIT } from "./errors.js";
import { buildProgram } from "./program.js";

/** Runs ticketctl with the given argv and returns the exit code. */
export async function run(argv: string[], deps: Deps): Promise<number> {
  const program = buildProgram(deps);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, successfully.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { lines, exitCode } = describeError(err);
    deps.stderr.write(`${lines.join("\n")}\n`);
    return exitCode;
  }
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "");
if (isMain) {
  process.on("SIGINT", () => process.exit(EXIT.interrupted));
  const code = await run(process.argv, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    createClient: defaultCreateClient,
  });
  process.exitCode = code;
}
