#!/usr/bin/env node
import { CommanderError } from "commander";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultCreateClient, type Deps } from "./deps.js";
import { describeError, EXIT, ExitStatus } from "./errors.js";
import { buildProgram } from "./program.js";

/** Never throws: a failure becomes its message on stderr and the exit code it maps to. */
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
    if (err instanceof ExitStatus) return err.exitCode;
    const { lines, exitCode } = describeError(err);
    deps.stderr.write(`${lines.join("\n")}\n`);
    return exitCode;
  }
}

/** True when run as `node dist/main.js` (tests and scripts do); the installed command enters through bin/ticketctl.js. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** The process entry: real streams, exit code on `process.exitCode`. bin/ticketctl.js calls it. */
export async function main(): Promise<void> {
  process.on("SIGINT", () => process.exit(EXIT.interrupted));
  // `ticketctl … | head` closes the pipe early: the reader has what it wanted, so stop quietly instead of crashing.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT.ok);
      throw err;
    });
  }
  process.exitCode = await run(process.argv, {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    createClient: defaultCreateClient,
  });
}

if (isEntry()) await main();
