import type { Command } from "commander";
import { admission as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { act, examples } from "../shared.js";
import { readGateState, writeGateState } from "./gate-state.js";

async function runUpload(r: Run, opts: { state: string }): Promise<void> {
  const state = await readGateState(opts.state);
  if (state.pending.length === 0) {
    r.out.data({ results: [] }, () => "nothing to upload");
    return;
  }
  const answer = await (await r.client()).admission.uploadOfflineScans({
    scans: state.pending.map((p) => ({ ...p, scannedAt: { seconds: BigInt(Math.floor(Date.parse(p.scannedAt) / 1000)), nanos: 0 } })),
  });
  await writeGateState(opts.state, { ...state, pending: [] });
  r.out.list(pb.OfflineScanResultSchema, answer.results, [
    { header: "SCAN ID", value: (x) => x.scanId },
    { header: "RESULT", value: (x) => pb.CheckInResult[x.result] ?? "" },
    { header: "MESSAGE", value: (x) => x.message },
  ], "no results");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("upload")
    .description("Upload the scans made offline; the first admission recorded wins, the rest are duplicates")
    .addHelpText("after", examples("ticketctl checkin upload"))
    .action(act(deps, runUpload));
}
