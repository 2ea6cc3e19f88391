import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { admission as pb } from "@ticketing/sdk";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import type { Scan } from "./domain/tickets.js";
import { checkInToPb, ticketToPb, verdictToPb } from "./messages.js";
import type { AdmissionService } from "./service.js";

const MAX_OFFLINE_SCANS = 1000;
const lower = (id: string) => id.toLowerCase() || undefined;

/** Translates AdmissionService RPCs to use cases. */
export function admissionHandler(service: AdmissionService): ServiceImpl<typeof pb.AdmissionService> {
  return {
    async listTickets(req, ctx) {
      new Validator()
        .optionalUuid("order_id", req.orderId)
        .optionalUuid("event_id", req.eventId)
        .text("user_id", req.userId, 0, 200)
        .check();
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const filter = { orderId: lower(req.orderId), eventId: lower(req.eventId), userId: req.userId || undefined };
      const rows = await service.listTickets(callerOf(ctx), filter, after, size + 1);
      const page = paginate(rows, size, (t) => [t.issuedAt.toISOString(), t.id]);
      return { tickets: page.items.map(ticketToPb), nextPageToken: page.next };
    },

    async getTicketCode(req, ctx) {
      new Validator().uuid("ticket_id", req.ticketId).check();
      const { ticket, code, keyId } = await service.codeOf(callerOf(ctx), req.ticketId.toLowerCase());
      return { ticket: ticketToPb(ticket), code, keyId };
    },

    async checkIn(req) {
      new Validator()
        .text("code", req.code, 1, 4096)
        .text("gate", req.gate, 1, 100)
        .optionalUuid("event_id", req.eventId)
        .text("idempotency_key", req.idempotencyKey, 0, 200)
        .check();
      const verdict = await service.checkIn({
        scanId: req.idempotencyKey || crypto.randomUUID(),
        code: req.code,
        gate: req.gate.trim(),
        eventId: lower(req.eventId),
        at: new Date(),
        offline: false,
      });
      return { ...verdictToPb(verdict), ...(verdict.ticket ? { ticket: ticketToPb(verdict.ticket) } : {}) };
    },

    async uploadOfflineScans(req) {
      const v = new Validator();
      if (req.scans.length === 0 || req.scans.length > MAX_OFFLINE_SCANS) v.fail("scans", `must hold 1 to ${MAX_OFFLINE_SCANS} scans`);
      req.scans.forEach((s, i) => {
        v.uuid(`scans[${i}].scan_id`, s.scanId)
          .text(`scans[${i}].code`, s.code, 1, 4096)
          .text(`scans[${i}].gate`, s.gate, 1, 100)
          .optionalUuid(`scans[${i}].event_id`, s.eventId)
          .timestamp(`scans[${i}].scanned_at`, s.scannedAt);
        if (!s.scannedAt) v.fail(`scans[${i}].scanned_at`, "is required");
      });
      v.check();
      const scans: Scan[] = req.scans.map((s) => ({
        scanId: s.scanId.toLowerCase(),
        code: s.code,
        gate: s.gate.trim(),
        eventId: lower(s.eventId),
        at: timestampDate(s.scannedAt as NonNullable<typeof s.scannedAt>),
        offline: true,
      }));
      const verdicts = await service.uploadOffline(scans);
      return { results: verdicts.map((verdict, i) => ({ scanId: scans[i]?.scanId ?? "", ...verdictToPb(verdict) })) };
    },

    async listCheckIns(req) {
      new Validator().uuid("event_id", req.eventId).text("gate", req.gate, 0, 100).check();
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const rows = await service.listCheckIns(req.eventId.toLowerCase(), req.gate.trim() || undefined, after, size + 1);
      const page = paginate(rows, size, (a) => [a.recordedAt.toISOString(), a.ticketId]);
      return { checkIns: page.items.map(checkInToPb), nextPageToken: page.next };
    },

    async revokeTicket(req) {
      new Validator().uuid("ticket_id", req.ticketId).text("reason", req.reason, 1, 500).check();
      return { ticket: ticketToPb(await service.revokeTicket(req.ticketId.toLowerCase(), req.reason.trim())) };
    },

    async revokeOrderTickets(req) {
      new Validator().uuid("order_id", req.orderId).text("reason", req.reason, 1, 500).check();
      return { tickets: (await service.revokeOrder(req.orderId.toLowerCase(), req.reason.trim())).map(ticketToPb) };
    },

    async getVerificationKeys(req) {
      const v = new Validator().optionalUuid("event_id", req.eventId);
      if (req.revocationsSinceVersion < 0n) v.fail("revocations_since_version", "must not be negative");
      v.check();
      const keys = await service.verificationKeys(req.revocationsSinceVersion, lower(req.eventId));
      return {
        keys: keys.keys,
        revocations: keys.revocations.map((r) => ({ ticketId: r.ticketId, eventId: r.eventId, version: r.version, revokedAt: timestampFromDate(r.revokedAt) })),
        revocationVersion: keys.version,
        more: keys.more,
      };
    },
  };
}
