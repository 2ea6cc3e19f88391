import { admission, toTicketingError, verifyTicketCode, type TicketingClient } from "@ticketing/sdk";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyRing } from "./admission/codes.js";
import { buyPaidTickets, createEventWith, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Tickets on real PostgreSQL over real gRPC: issued when an order is paid, scanned at gates, revoked, verified offline.

const { CheckInResult: R, TicketStatus } = admission;
let t: TestPlatform;
let gate: TicketingClient;

beforeAll(async () => {
  t = await startTestPlatform({ logLevel: "warn" });
  gate = t.clientWithToken(await t.platform.tokens.mint({ sub: "north-door", role: "gate" }));
}, 60_000);
afterAll(async () => t?.close());

/** Buys `quantity` tickets of a new event as `buyer`, pays, and waits for the tickets. */
async function paidTickets(buyer: string, quantity: number) {
  const { eventId, ticketIds } = await createEventWith(t.admin, 100);
  const customer = t.customer(buyer);
  const { orderId, tickets } = await buyPaidTickets(t.admin, customer, ticketIds[0]!, quantity);
  return { eventId, orderId, ticketTypeId: ticketIds[0]!, customer, tickets };
}

const codeOf = async (client: TicketingClient, ticketId: string) => (await client.admission.getTicketCode({ ticketId })).code;
const grpcCode = (call: Promise<unknown>) => call.then(() => "OK", (e: unknown) => toTicketingError(e).codeName);

describe("issuance", () => {
  it("a paid order gets one ticket per unit, numbered, VALID, the buyer's own", async () => {
    const { tickets, orderId, eventId, ticketTypeId } = await paidTickets("ida", 3);
    expect(tickets.map((x) => x.number).sort()).toEqual([1, 2, 3]);
    for (const ticket of tickets) {
      expect(ticket).toMatchObject({ orderId, eventId, ticketTypeId, userId: "ida", status: TicketStatus.VALID, ticketTypeName: "Type 1" });
    }
    expect((await t.customer("someone-else").admission.listTickets({ orderId })).tickets).toEqual([]);
    expect(await grpcCode(t.customer("someone-else").admission.getTicketCode({ ticketId: tickets[0]!.id }))).toBe("NOT_FOUND");
    expect(await grpcCode(t.customer("someone-else").admission.listTickets({ userId: "ida" }))).toBe("PERMISSION_DENIED");
    expect((await t.admin.admission.listTickets({ userId: "ida" })).tickets.length).toBeGreaterThanOrEqual(3);
  });

  it("issues once per order, however often the paid event comes, under a new event id too", async () => {
    const { tickets, orderId, eventId, ticketTypeId } = await paidTickets("ivan", 2);
    const again = { orderId, userId: "ivan", paidAt: new Date(), items: [{ eventId, ticketTypeId, ticketTypeName: "Type 1", quantity: 2 }] };
    const service = t.platform.admission!;
    const [first] = (await t.admin.admission.listTickets({ orderId })).tickets;
    expect(first).toBeDefined();
    expect(await service.issueForPaidOrder({ ...again, sourceEventId: randomUUID() })).toEqual([]);
    const fresh = randomUUID();
    expect(await service.issueForPaidOrder({ ...again, sourceEventId: fresh })).toEqual([]);
    expect(await service.issueForPaidOrder({ ...again, sourceEventId: fresh })).toEqual([]);
    expect((await t.admin.admission.listTickets({ orderId })).tickets.map((x) => x.id).sort()).toEqual(tickets.map((x) => x.id).sort());
  });
});

describe("online check-in", () => {
  it("50 concurrent scans of one code admit exactly one; the others are told when and where", async () => {
    const { tickets, customer, eventId } = await paidTickets("carla", 1);
    const code = await codeOf(customer, tickets[0]!.id);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => gate.admission.checkIn({ code, gate: `gate ${i}`, eventId })),
    );
    const admitted = answers.filter((a) => a.result === R.ADMITTED);
    expect(admitted).toHaveLength(1);
    const winner = admitted[0]!.admission!;
    const others = answers.filter((a) => a.result !== R.ADMITTED);
    expect(others).toHaveLength(49);
    for (const other of others) {
      expect(other.result).toBe(R.ALREADY_CHECKED_IN);
      expect(other.admission?.gate).toBe(winner.gate);
      expect(other.message).toMatch(new RegExp(`^already checked in at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z at ${winner.gate}$`));
    }
    const listed = await t.admin.admission.listCheckIns({ eventId });
    expect(listed.checkIns.map((c) => [c.ticketId, c.gate])).toEqual([[tickets[0]!.id, winner.gate]]);
    expect((await customer.admission.listTickets({ eventId })).tickets[0]?.status).toBe(TicketStatus.CHECKED_IN);
  });

  it("a retried scan (same idempotency key) is ADMITTED again, a new scan is a duplicate", async () => {
    const { tickets, customer } = await paidTickets("rita", 1);
    const code = await codeOf(customer, tickets[0]!.id);
    const idempotencyKey = randomUUID();
    expect((await gate.admission.checkIn({ code, gate: "west", idempotencyKey })).result).toBe(R.ADMITTED);
    expect((await gate.admission.checkIn({ code, gate: "west", idempotencyKey })).result).toBe(R.ADMITTED);
    expect((await gate.admission.checkIn({ code, gate: "west" })).result).toBe(R.ALREADY_CHECKED_IN);
  });

  it("refuses revoked, forged, altered, wrong-event, unknown-key and malformed codes, each with its own reason", async () => {
    const { tickets, customer, eventId } = await paidTickets("fred", 2);
    const good = await codeOf(customer, tickets[0]!.id);
    const revokedCode = await codeOf(customer, tickets[1]!.id);
    await t.admin.admission.revokeTicket({ ticketId: tickets[1]!.id, reason: "chargeback" });
    const bytes = Buffer.from(good, "base64url");
    bytes[bytes.length - 70] = (bytes[bytes.length - 70] as number) ^ 0x40;
    const otherKey = new KeyRing(generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    const foreign = otherKey.codeOf({ id: tickets[0]!.id, eventId, ticketTypeId: tickets[0]!.ticketTypeId, issuedAt: new Date() });
    const cases: [string, string, string, admission.CheckInResult][] = [
      ["revoked", revokedCode, eventId, R.REVOKED],
      ["altered", bytes.toString("base64url"), eventId, R.BAD_SIGNATURE],
      ["wrong event", good, randomUUID(), R.WRONG_EVENT],
      ["signed elsewhere", foreign, eventId, R.UNKNOWN_KEY],
      ["not a code", "https://example.com/not-a-ticket", eventId, R.MALFORMED],
    ];
    for (const [name, code, gateEvent, expected] of cases) {
      const answer = await gate.admission.checkIn({ code, gate: "south", eventId: gateEvent });
      expect(admission.CheckInResult[answer.result], name).toBe(admission.CheckInResult[expected]);
      expect(answer.message, name).toMatch(/^refused: /);
    }
    expect((await gate.admission.checkIn({ code: revokedCode, gate: "south" })).message).toBe("refused: this ticket was revoked (chargeback)");
    // None of the refusals admitted the good ticket; it still admits once.
    expect((await gate.admission.checkIn({ code: good, gate: "south", eventId })).result).toBe(R.ADMITTED);
    expect(await grpcCode(customer.admission.getTicketCode({ ticketId: tickets[1]!.id }))).toBe("FAILED_PRECONDITION");
    expect(await grpcCode(gate.admission.checkIn({ code: "", gate: "south" }))).toBe("INVALID_ARGUMENT");
    expect(await grpcCode(gate.admission.checkIn({ code: good, gate: "" }))).toBe("INVALID_ARGUMENT");
  });
});

describe("offline scanning", () => {
  it("verifies codes with synced keys, refuses a ticket revoked once the list is synced; an upload after a refund admits nobody", async () => {
    const { tickets, customer, eventId, orderId } = await paidTickets("olga", 2);
    const [a, b] = [await codeOf(customer, tickets[0]!.id), await codeOf(customer, tickets[1]!.id)];
    const synced = await gate.admission.getVerificationKeys({ eventId });
    expect(synced.keys.filter((k) => k.signing)).toHaveLength(1);
    expect((await verifyTicketCode(a, synced.keys, synced.revocations, { eventId })).valid).toBe(true);

    // While the gates are offline, ticket A is scanned at two gates and B at one; then the order is refunded.
    const at = (minute: number) => ({ seconds: BigInt(Math.floor(Date.now() / 1000) - 3600 + minute * 60), nanos: 0 });
    const scans = [
      { scanId: randomUUID(), code: a, gate: "east 2", scannedAt: at(5), eventId },
      { scanId: randomUUID(), code: a, gate: "east 1", scannedAt: at(0), eventId },
      { scanId: randomUUID(), code: b, gate: "east 1", scannedAt: at(1), eventId },
    ];
    const revoked = await t.admin.admission.revokeOrderTickets({ orderId, reason: "refunded" });
    expect(revoked.tickets.map((x) => x.status)).toEqual([TicketStatus.REVOKED, TicketStatus.REVOKED]);
    const later = await gate.admission.getVerificationKeys({ eventId, revocationsSinceVersion: synced.revocationVersion });
    expect(later.revocations.map((r) => r.ticketId).sort()).toEqual(tickets.map((x) => x.id).sort());
    expect(later.revocationVersion).toBeGreaterThan(synced.revocationVersion);
    expect(await verifyTicketCode(b, later.keys, [...synced.revocations, ...later.revocations], { eventId })).toMatchObject({ valid: false, reason: "REVOKED" });

    const uploaded = await gate.admission.uploadOfflineScans({ scans });
    // The refund was recorded before the upload: no admission is recorded for a revoked ticket, whenever it was scanned.
    expect(uploaded.results.map((r) => admission.CheckInResult[r.result])).toEqual(["REVOKED", "REVOKED", "REVOKED"]);
    expect(uploaded.results.map((r) => r.scanId)).toEqual(scans.map((s) => s.scanId));
  });

  it("an upload is resolved in scan order and can be retried", async () => {
    const { tickets, customer, eventId } = await paidTickets("omar", 1);
    const code = await codeOf(customer, tickets[0]!.id);
    const minutesAgo = (m: number) => ({ seconds: BigInt(Math.floor(Date.now() / 1000) - m * 60), nanos: 0 });
    const tenMinutesAgo = minutesAgo(10);
    const scans = [
      { scanId: randomUUID(), code, gate: "east 2", scannedAt: minutesAgo(5), eventId },
      { scanId: randomUUID(), code, gate: "east 1", scannedAt: tenMinutesAgo, eventId },
    ];
    const first = await gate.admission.uploadOfflineScans({ scans });
    expect(first.results.map((r) => admission.CheckInResult[r.result])).toEqual(["ALREADY_CHECKED_IN", "ADMITTED"]);
    expect(first.results[0]?.message).toMatch(/at east 1$/);
    expect(first.results[1]?.admission).toMatchObject({ gate: "east 1", offline: true, checkedInAt: tenMinutesAgo });
    const retried = await gate.admission.uploadOfflineScans({ scans });
    expect(retried.results.map((r) => r.result)).toEqual(first.results.map((r) => r.result));
    // An online scan afterwards is a duplicate too.
    expect((await gate.admission.checkIn({ code, gate: "main" })).result).toBe(R.ALREADY_CHECKED_IN);
  });
});

describe("the gate role", () => {
  it("may check in and read keys, and nothing else; customers may neither", async () => {
    const { orderId, tickets } = await paidTickets("gina", 1);
    const denied: [string, Promise<unknown>][] = [
      ["ListTickets", gate.admission.listTickets({})],
      ["GetTicketCode", gate.admission.getTicketCode({ ticketId: tickets[0]!.id })],
      ["ListCheckIns", gate.admission.listCheckIns({ eventId: tickets[0]!.eventId })],
      ["RevokeTicket", gate.admission.revokeTicket({ ticketId: tickets[0]!.id, reason: "x" })],
      ["RevokeOrderTickets", gate.admission.revokeOrderTickets({ orderId, reason: "x" })],
      ["ListEvents", gate.events.listEvents({})],
      ["GetOrder", gate.checkout.getOrder({ orderId })],
      ["ListNotifications", gate.notifications.listNotifications({})],
    ];
    for (const [name, call] of denied) expect(await grpcCode(call), name).toBe("PERMISSION_DENIED");
    const customer = t.customer("gina");
    for (const [name, call] of [
      ["CheckIn", customer.admission.checkIn({ code: "x", gate: "y" })],
      ["UploadOfflineScans", customer.admission.uploadOfflineScans({ scans: [] })],
      ["GetVerificationKeys", customer.admission.getVerificationKeys({})],
      ["ListCheckIns", customer.admission.listCheckIns({ eventId: tickets[0]!.eventId })],
      ["RevokeTicket", customer.admission.revokeTicket({ ticketId: tickets[0]!.id, reason: "x" })],
      ["RevokeOrderTickets", customer.admission.revokeOrderTickets({ orderId, reason: "x" })],
    ] as const) {
      expect(await grpcCode(call), name).toBe("PERMISSION_DENIED");
    }
    expect((await t.customer("gina").admission.listTickets({ orderId })).tickets[0]?.status).toBe(TicketStatus.VALID);
  });
});

describe("ticketing-server ticket-key", () => {
  it("prints a signing key line the platform starts with, and the key id it then serves", async () => {
    const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main, "ticket-key"]);
    const line = /^TICKETING_TICKET_SIGNING_KEY=([A-Za-z0-9+/=]+)$/.exec(stdout.trim());
    const keyId = /# key id ([0-9a-f]{8}), public key ([A-Za-z0-9_-]{43})/.exec(stderr);
    expect(line, stdout).not.toBeNull();
    expect(keyId, stderr).not.toBeNull();
    const own = await startTestPlatform({ logLevel: "warn", env: { TICKETING_TICKET_SIGNING_KEY: line![1]! } });
    try {
      const { keys } = await own.admin.admission.getVerificationKeys({});
      expect(keys.map((k) => [k.keyId, Buffer.from(k.publicKey).toString("base64url"), k.signing])).toEqual([[keyId![1], keyId![2], true]]);
    } finally {
      await own.close();
    }
  });
});
