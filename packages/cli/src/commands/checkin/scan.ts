import type { Command } from "commander";
import { admission as pb, decodeTicketCode, verifyTicketCode } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT, ExitStatus } from "../../errors.js";
import { act, examples } from "../shared.js";
import { DEFAULT_STATE_FILE, readGateState, writeGateState } from "./gate-state.js";

interface ScanOptions {
  gate: string;
  event?: string;
  offline?: boolean;
  state: string;
}

async function runCheckIn(r: Run, code: string | undefined, opts: ScanOptions): Promise<void> {
  if (!code) throw new CliError("give the scanned code: ticketctl checkin <code> --gate <name>", EXIT.usage);
  if (opts.offline) return runOffline(r, code, opts);
  const answer = await (await r.client()).admission.checkIn({ code, gate: opts.gate, eventId: opts.event ?? "" });
  r.out.message(pb.CheckInResponseSchema, answer, () => `${pb.CheckInResult[answer.result]}: ${answer.message}`);
  // A refusal is printed like an admission, and exits non-zero so a script at the gate can tell them apart.
  if (answer.result !== pb.CheckInResult.ADMITTED) throw new ExitStatus(EXIT.error);
}

/** Verifies with the synced keys and revocations only, and queues the scan for `ticketctl checkin upload`. */
async function runOffline(r: Run, code: string, opts: ScanOptions): Promise<void> {
  const state = await readGateState(opts.state);
  if (state.keys.length === 0) throw new CliError(`no keys synced in ${opts.state}: run \`ticketctl checkin sync\` while online`, EXIT.error);
  const keys = state.keys.map((k) => ({ keyId: k.keyId, publicKey: new Uint8Array(Buffer.from(k.publicKey, "base64")) }));
  const eventId = opts.event ?? state.eventId;
  const verdict = await verifyTicketCode(code, keys, new Set(state.revoked), eventId ? { eventId } : {});
  const duplicate = verdict.valid && state.pending.some((p) => decodeTicketCode(p.code)?.ticketId === verdict.ticket.ticketId);
  // Only an admission is queued: a refusal here (a second scan of a queued ticket included) let nobody in.
  if (verdict.valid && !duplicate) state.pending.push({ scanId: randomUUID(), code, gate: opts.gate, scannedAt: new Date().toISOString(), eventId });
  await writeGateState(opts.state, state);
  const result = !verdict.valid ? verdict.reason : duplicate ? "ALREADY_CHECKED_IN" : "ADMITTED";
  r.out.data({ result, offline: true, pending: state.pending.length }, () => `${result} (offline; ${state.pending.length} scans to upload)`);
  if (result !== "ADMITTED") throw new ExitStatus(EXIT.error);
}

export function register(parent: Command, deps: Deps): void {
  // The verbs read --event, --gate and --state from here too (commander would give them to this command anyway).
  parent
    .argument("[code]", "the scanned code")
    .option("-g, --gate <name>", "this gate's name (list: only this gate's)", "ticketctl")
    .option("-e, --event <event-id>", "the event this gate admits to (a code for another is refused); list and sync: the event")
    .option("--offline", "verify with the synced keys only (see `checkin sync`) and queue the scan for `checkin upload`")
    .option("--state <file>", "where an offline gate keeps keys and scans", DEFAULT_STATE_FILE)
    .addHelpText("after", examples("ticketctl checkin CiQK… --gate north", "ticketctl checkin CiQK… --gate north --offline"))
    .action(act(deps, runCheckIn));
}
