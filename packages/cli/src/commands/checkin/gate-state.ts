import { readFile, writeFile } from "node:fs/promises";

/** What an offline gate keeps between runs: the synced keys and revocations, and the scans not yet uploaded. */
export interface GateState {
  eventId: string;
  keys: { keyId: string; publicKey: string }[];
  revoked: string[];
  revocationVersion: string;
  pending: { scanId: string; code: string; gate: string; scannedAt: string; eventId: string }[];
}

export const DEFAULT_STATE_FILE = "ticketctl-gate.json";

export async function readGateState(file: string): Promise<GateState> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as GateState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { eventId: "", keys: [], revoked: [], revocationVersion: "0", pending: [] };
    throw err;
  }
}

export const writeGateState = (file: string, state: GateState) => writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
