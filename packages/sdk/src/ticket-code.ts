import { fromBinary } from "@bufbuild/protobuf";
import { TicketCodePayloadSchema, TicketCodeSchema } from "./gen/ticketing/admission/v1/code_pb.js";

/** What a ticket code states, once decoded. */
export interface TicketCodeFacts {
  ticketId: string;
  eventId: string;
  ticketTypeId: string;
  /** The key that signed it (see AdmissionService.GetVerificationKeys). */
  keyId: string;
  issuedAt: Date;
}

/** A decoded code with the bytes its signature covers. Nothing in it is trusted until the signature is checked. */
export interface DecodedTicketCode extends TicketCodeFacts {
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Why a code is refused offline; the same words as AdmissionService's CheckInResult. */
export type TicketCodeRefusal = "MALFORMED" | "UNKNOWN_KEY" | "BAD_SIGNATURE" | "WRONG_EVENT" | "REVOKED";

export type TicketCodeVerdict =
  | { valid: true; ticket: TicketCodeFacts }
  | { valid: false; reason: TicketCodeRefusal; ticket?: TicketCodeFacts };

/** A verification key as GetVerificationKeys returns it (its `VerificationKey` messages fit as they are). */
export interface TicketVerificationKey {
  keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** Longest code accepted: real codes are under 200 characters; anything far longer is not worth decoding. */
const MAX_CODE_LENGTH = 512;
const SIGNATURE_BYTES = 64;

/** Decodes a code's text without verifying it; undefined when it is not a ticket code at all. */
export function decodeTicketCode(code: string): DecodedTicketCode | undefined {
  const text = code.trim();
  if (text.length === 0 || text.length > MAX_CODE_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const envelope = fromBinary(TicketCodeSchema, base64urlDecode(text));
    const p = fromBinary(TicketCodePayloadSchema, envelope.payload);
    if (envelope.signature.length !== SIGNATURE_BYTES || p.keyId === "" || p.issuedAtSeconds <= 0n) return undefined;
    const ids = [p.ticketId, p.eventId, p.ticketTypeId].map(uuidFromBytes);
    if (ids.some((id) => id === undefined)) return undefined;
    const [ticketId, eventId, ticketTypeId] = ids as [string, string, string];
    return {
      ticketId,
      eventId,
      ticketTypeId,
      keyId: p.keyId,
      issuedAt: new Date(Number(p.issuedAtSeconds) * 1000),
      payload: envelope.payload,
      signature: envelope.signature,
    };
  } catch {
    return undefined;
  }
}

/**
 * Verifies a ticket code with no server call: decodes it, checks its Ed25519 signature against the key it names,
 * then the event (when `options.eventId` is given) and the revocation list. Uses WebCrypto, so it runs the same in
 * Node (22.12+) and in browsers that support Ed25519.
 *
 * `keys` and `revocations` are what AdmissionService.GetVerificationKeys returns (revocations as its `Revocation`
 * messages, or a set of ticket ids). A valid verdict says the code is genuine and not revoked; only the server
 * knows whether the ticket was admitted elsewhere already, which is why offline scans are uploaded later.
 *
 * @example
 * const { keys, revocations } = await client.admission.getVerificationKeys({});
 * const verdict = await verifyTicketCode(scanned, keys, revocations, { eventId });
 * if (!verdict.valid) console.log(`refused: ${verdict.reason}`);
 */
export async function verifyTicketCode(
  code: string,
  keys: Iterable<TicketVerificationKey>,
  revocations: Iterable<string | { ticketId: string }> | ReadonlySet<string>,
  options: { eventId?: string } = {},
): Promise<TicketCodeVerdict> {
  const decoded = decodeTicketCode(code);
  if (!decoded) return { valid: false, reason: "MALFORMED" };
  const { payload, signature, ...ticket } = decoded;
  let key: TicketVerificationKey | undefined;
  for (const k of keys) if (k.keyId === decoded.keyId) key = k;
  if (!key) return { valid: false, reason: "UNKNOWN_KEY", ticket };
  if (!(await signatureHolds(key.publicKey, signature, payload))) return { valid: false, reason: "BAD_SIGNATURE" };
  if (options.eventId && options.eventId.toLowerCase() !== ticket.eventId) return { valid: false, reason: "WRONG_EVENT", ticket };
  if (isRevoked(ticket.ticketId, revocations)) return { valid: false, reason: "REVOKED", ticket };
  return { valid: true, ticket };
}

function isRevoked(ticketId: string, revocations: Iterable<string | { ticketId: string }> | ReadonlySet<string>): boolean {
  if ("has" in revocations && typeof revocations.has === "function") return revocations.has(ticketId);
  for (const r of revocations as Iterable<string | { ticketId: string }>) {
    if ((typeof r === "string" ? r : r.ticketId).toLowerCase() === ticketId) return true;
  }
  return false;
}

// Imported keys by their bytes: importing costs more than verifying, and a scanner verifies many codes.
const imported = new Map<string, Promise<CryptoKey>>();

async function signatureHolds(publicKey: Uint8Array, signature: Uint8Array, payload: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32) return false;
  const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, "0")).join("");
  let key = imported.get(id);
  if (!key) {
    if (imported.size >= 64) imported.clear();
    key = globalThis.crypto.subtle.importKey("raw", new Uint8Array(publicKey), { name: "Ed25519" }, false, ["verify"]);
    imported.set(id, key);
  }
  try {
    return await globalThis.crypto.subtle.verify({ name: "Ed25519" }, await key, new Uint8Array(signature), new Uint8Array(payload));
  } catch {
    imported.delete(id);
    return false;
  }
}

function base64urlDecode(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function uuidFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
