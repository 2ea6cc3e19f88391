import { create, toBinary } from "@bufbuild/protobuf";
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TicketCodePayloadSchema, TicketCodeSchema } from "./gen/ticketing/admission/v1/code_pb.js";
import { RevocationSchema } from "./gen/ticketing/admission/v1/admission_pb.js";
import * as node from "./index.js";
import * as web from "./web.js";

// Codes are made here the way the admission service makes them: a TicketCodePayload signed with Ed25519 by
// node:crypto, wrapped in a TicketCode, base64url. The verification under test is WebCrypto's, through both entries.

const uuidBytes = (id: string) => Uint8Array.from(Buffer.from(id.replace(/-/g, ""), "hex"));

function keyPair(keyId: string) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(-32));
  return { keyId, privateKey, verification: { keyId, publicKey: raw } };
}

function codeFor(ticket: { ticketId: string; eventId: string; ticketTypeId: string }, keyId: string, privateKey: KeyObject) {
  const payload = toBinary(
    TicketCodePayloadSchema,
    create(TicketCodePayloadSchema, {
      ticketId: uuidBytes(ticket.ticketId),
      eventId: uuidBytes(ticket.eventId),
      ticketTypeId: uuidBytes(ticket.ticketTypeId),
      keyId,
      issuedAtSeconds: BigInt(Math.floor(Date.now() / 1000)),
    }),
  );
  const signature = sign(null, payload, privateKey);
  return Buffer.from(toBinary(TicketCodeSchema, create(TicketCodeSchema, { payload, signature }))).toString("base64url");
}

const current = keyPair("5c1e9a07");
const retired = keyPair("b27d40e3");
const keys = [current.verification, retired.verification];
const ticket = { ticketId: randomUUID(), eventId: randomUUID(), ticketTypeId: randomUUID() };
const code = codeFor(ticket, current.keyId, current.privateKey);

describe.each([
  ["the Node entry", node.verifyTicketCode],
  ["the browser entry", web.verifyTicketCode],
])("verifyTicketCode from %s", (_, verifyTicketCode) => {
  it("accepts a genuine code and states what it says", async () => {
    const verdict = await verifyTicketCode(code, keys, []);
    expect(verdict).toEqual({ valid: true, ticket: { ...ticket, keyId: "5c1e9a07", issuedAt: expect.any(Date) } });
    // Codes signed before a rotation verify with the retired key as long as it is listed.
    expect((await verifyTicketCode(codeFor(ticket, retired.keyId, retired.privateKey), keys, [])).valid).toBe(true);
  });

  it("refuses a code whose payload was altered after signing", async () => {
    const bytes = Buffer.from(code, "base64url");
    // The payload starts after the envelope's tag and length; byte 10 lies inside the ticket id.
    bytes[10] = (bytes[10] as number) ^ 0x01;
    expect(await verifyTicketCode(bytes.toString("base64url"), keys, [])).toMatchObject({ valid: false, reason: "BAD_SIGNATURE" });
  });

  it("refuses a forged code: signed by another key under a genuine key id", async () => {
    const forger = keyPair("5c1e9a07");
    const forged = codeFor(ticket, "5c1e9a07", forger.privateKey);
    expect(await verifyTicketCode(forged, keys, [])).toMatchObject({ valid: false, reason: "BAD_SIGNATURE" });
  });

  it("refuses a code signed with a key no longer (or never) listed", async () => {
    expect(await verifyTicketCode(code, [retired.verification], [])).toMatchObject({ valid: false, reason: "UNKNOWN_KEY" });
  });

  it.each([["empty", ""], ["not base64url", "abc$def"], ["random bytes", Buffer.from("hello world, not a ticket").toString("base64url")], ["cut short", code.slice(0, 60)], ["far too long", "A".repeat(2000)]])(
    "calls %s MALFORMED",
    async (_, text) => {
      expect(await verifyTicketCode(text, keys, [])).toEqual({ valid: false, reason: "MALFORMED" });
    },
  );

  it("refuses a genuine code for another event than the gate's", async () => {
    expect(await verifyTicketCode(code, keys, [], { eventId: randomUUID() })).toMatchObject({ valid: false, reason: "WRONG_EVENT" });
    expect((await verifyTicketCode(code, keys, [], { eventId: ticket.eventId.toUpperCase() })).valid).toBe(true);
  });

  it("refuses a revoked ticket once the revocation list is synced", async () => {
    expect((await verifyTicketCode(code, keys, [])).valid).toBe(true);
    const synced = [create(RevocationSchema, { ticketId: ticket.ticketId, eventId: ticket.eventId, version: 1n })];
    expect(await verifyTicketCode(code, keys, synced)).toMatchObject({ valid: false, reason: "REVOKED" });
    expect(await verifyTicketCode(code, keys, new Set([ticket.ticketId]))).toMatchObject({ valid: false, reason: "REVOKED" });
    expect(await verifyTicketCode(code, keys, [ticket.ticketId.toUpperCase()])).toMatchObject({ valid: false, reason: "REVOKED" });
  });
});

describe("a ticket code", () => {
  it("is 138 bytes, 184 base64url characters (an 8-character key id): a version 10 QR code at medium error correction", () => {
    expect(Buffer.from(code, "base64url").length).toBe(138);
    expect(code.length).toBe(184);
  });

  it("decodes without verification for display", () => {
    expect(node.decodeTicketCode(code)).toMatchObject({ ...ticket, keyId: "5c1e9a07" });
    expect(node.decodeTicketCode("!!")).toBeUndefined();
  });
});
