import { Code, ConnectError, toTicketingError } from "@ticketing/sdk";

export const EXIT = { ok: 0, error: 1, usage: 2, auth: 4, interrupted: 130 } as const;

/** A failure the user can fix, with the exit code it maps to. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A command that printed its answer and ends with a non-zero exit code: a refused scan, say. Nothing more is printed. */
export class ExitStatus extends Error {
  override readonly name = "ExitStatus";
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

const HINTS: Partial<Record<Code, string>> = {
  [Code.Unavailable]: "check the server address (--server, TICKETCTL_SERVER or `ticketctl context list`) and that it is running",
  [Code.Unauthenticated]: "set a token: --token, TICKETCTL_TOKEN, or `ticketctl context add NAME --server URL --token JWT`",
  [Code.PermissionDenied]: "this needs another role; use an admin token for admin commands",
  [Code.DeadlineExceeded]: "the server did not answer in time; try again or check its load",
  [Code.NotFound]: "check the id (`ticketctl event list`, `ticketctl order list`)",
  [Code.InvalidArgument]: "see `--help` for the allowed values",
};

/** The message lines and exit code for anything a command threw. */
export function describeError(err: unknown): { lines: string[]; exitCode: number } {
  if (err instanceof CliError) {
    return { lines: [`error: ${err.message}`, ...(err.hint ? [`hint: ${err.hint}`] : [])], exitCode: err.exitCode };
  }
  if (err instanceof ConnectError) {
    const e = toTicketingError(err);
    const violations = (e.details.badRequest?.fieldViolations ?? []).map((v) => `${v.field}: ${v.description}`);
    // The server's message usually is the violations joined: print them once, one a line, not again after it.
    const repeated = violations.length > 0 && violations.every((v) => e.message.includes(v));
    const lines = [repeated ? `error: ${e.codeName}` : `error: ${e.codeName}: ${e.message}`];
    for (const v of violations) lines.push(`  ${v}`);
    for (const s of e.details.insufficientStock?.shortages ?? []) {
      lines.push(`  ticket ${s.ticketId}: ${s.requested} requested, ${s.available} available`);
    }
    if (e.details.stateConflict) lines.push(`  state: ${e.details.stateConflict.currentState}`);
    const hint = HINTS[e.code];
    if (hint) lines.push(`hint: ${hint}`);
    const auth = e.code === Code.Unauthenticated || e.code === Code.PermissionDenied;
    return { lines, exitCode: auth ? EXIT.auth : EXIT.error };
  }
  return { lines: [`error: ${err instanceof Error ? err.message : String(err)}`], exitCode: EXIT.error };
}
