import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { readGateState, writeGateState } from "./gate-state.js";

async function runSync(r: Run, opts: { event?: string; state: string }): Promise<void> {
  const state = await readGateState(opts.state);
  const eventId = opts.event ?? state.eventId;
  // Another event's list starts again from the beginning.
  const since = eventId === state.eventId ? BigInt(state.revocationVersion) : 0n;
  const revoked = eventId === state.eventId ? new Set(state.revoked) : new Set<string>();
  const client = await r.client();
  let version = since;
  let keys = state.keys;
  for (let more = true; more; ) {
    const answer = await client.admission.getVerificationKeys({ revocationsSinceVersion: version, eventId });
    keys = answer.keys.map((k) => ({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey).toString("base64") }));
    for (const rv of answer.revocations) revoked.add(rv.ticketId);
    version = answer.revocationVersion;
    more = answer.more;
  }
  await writeGateState(opts.state, { ...state, eventId, keys, revoked: [...revoked], revocationVersion: String(version) });
  r.out.data({ keys: keys.length, revoked: revoked.size, revocationVersion: String(version) }, () => `${keys.length} keys, ${revoked.size} revoked tickets (version ${version}) in ${opts.state}`);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("sync")
    .description("Download the verification keys and revocations an offline gate needs")
    .addHelpText("after", examples("ticketctl checkin sync --event 0192…"))
    .action(act(deps, runSync));
}
