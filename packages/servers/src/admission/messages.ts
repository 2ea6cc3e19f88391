import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { admission as pb } from "@ticketing/sdk";
import { TOPICS, type BusMessage } from "../platform/bus.js";
import { uuidv7 } from "../platform/ids.js";
import { statusOf, type Admission, type ScanResult, type ScanVerdict, type TicketRecord } from "./domain/tickets.js";
import type { TicketEvents } from "./service.js";

const STATUSES = { VALID: pb.TicketStatus.VALID, CHECKED_IN: pb.TicketStatus.CHECKED_IN, REVOKED: pb.TicketStatus.REVOKED };

const RESULTS: Record<ScanResult, pb.CheckInResult> = {
  ADMITTED: pb.CheckInResult.ADMITTED,
  ALREADY_CHECKED_IN: pb.CheckInResult.ALREADY_CHECKED_IN,
  REVOKED: pb.CheckInResult.REVOKED,
  MALFORMED: pb.CheckInResult.MALFORMED,
  BAD_SIGNATURE: pb.CheckInResult.BAD_SIGNATURE,
  UNKNOWN_KEY: pb.CheckInResult.UNKNOWN_KEY,
  WRONG_EVENT: pb.CheckInResult.WRONG_EVENT,
  UNKNOWN_TICKET: pb.CheckInResult.UNKNOWN_TICKET,
};

export function checkInToPb(a: Admission): pb.CheckIn {
  return create(pb.CheckInSchema, {
    ticketId: a.ticketId,
    eventId: a.eventId,
    ticketTypeId: a.ticketTypeId,
    orderId: a.orderId,
    userId: a.userId,
    gate: a.gate,
    checkedInAt: timestampFromDate(a.checkedInAt),
    recordedAt: timestampFromDate(a.recordedAt),
    offline: a.offline,
  });
}

export function ticketToPb(t: TicketRecord): pb.Ticket {
  return create(pb.TicketSchema, {
    id: t.id,
    orderId: t.orderId,
    userId: t.userId,
    eventId: t.eventId,
    ticketTypeId: t.ticketTypeId,
    ticketTypeName: t.ticketTypeName,
    number: t.number,
    status: STATUSES[statusOf(t)],
    issuedAt: timestampFromDate(t.issuedAt),
    ...(t.revokedAt ? { revokedAt: timestampFromDate(t.revokedAt), revocationReason: t.revocationReason } : {}),
    ...(t.checkIn ? { checkIn: checkInToPb(t.checkIn) } : {}),
  });
}

/** A scan's verdict as the fields CheckInResponse and OfflineScanResult share. */
export function verdictToPb(v: ScanVerdict) {
  return {
    result: RESULTS[v.result],
    message: v.message,
    ...(v.admission ? { admission: checkInToPb(v.admission) } : {}),
  };
}

/** Ticket events as protobuf messages for the admission schema's outbox, keyed by order id. */
export function outboxTicketEvents(wake: () => void): TicketEvents {
  const message = (key: string, type: string, eventId: string, value: Uint8Array): BusMessage => ({
    topic: TOPICS.ticketEvents,
    key,
    type,
    eventId,
    value,
  });
  return {
    issued: (tickets) =>
      tickets.map((t) => {
        const eventId = uuidv7();
        const value = create(pb.TicketIssuedSchema, { eventId, occurredAt: timestampFromDate(t.issuedAt), ticket: ticketToPb(t) });
        return message(t.orderId, "TICKET_ISSUED", eventId, toBinary(pb.TicketIssuedSchema, value));
      }),
    revoked: (tickets) =>
      tickets.map((t) => {
        const eventId = uuidv7();
        const value = create(pb.TicketRevokedSchema, { eventId, occurredAt: timestampFromDate(t.revokedAt ?? new Date()), ticket: ticketToPb(t) });
        return message(t.orderId, "TICKET_REVOKED", eventId, toBinary(pb.TicketRevokedSchema, value));
      }),
    checkedIn: (a) => {
      const eventId = uuidv7();
      const value = create(pb.CheckedInSchema, { eventId, occurredAt: timestampFromDate(a.recordedAt), checkIn: checkInToPb(a) });
      return message(a.orderId, "CHECKED_IN", eventId, toBinary(pb.CheckedInSchema, value));
    },
    committed: wake,
  };
}
