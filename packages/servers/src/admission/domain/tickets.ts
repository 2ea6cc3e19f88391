// Tickets, their one admission and the verdict on a scan, in plain TypeScript.

/** The answer to a scan; the names of the API's CheckInResult. */
export type ScanResult =
  | "ADMITTED"
  | "ALREADY_CHECKED_IN"
  | "REVOKED"
  | "MALFORMED"
  | "BAD_SIGNATURE"
  | "UNKNOWN_KEY"
  | "WRONG_EVENT"
  | "UNKNOWN_TICKET";

/** The one admission of a ticket. */
export interface Admission {
  ticketId: string;
  eventId: string;
  ticketTypeId: string;
  orderId: string;
  userId: string;
  gate: string;
  checkedInAt: Date;
  recordedAt: Date;
  offline: boolean;
  scanId: string;
}

export interface TicketRecord {
  id: string;
  orderId: string;
  userId: string;
  eventId: string;
  ticketTypeId: string;
  ticketTypeName: string;
  number: number;
  issuedAt: Date;
  revokedAt: Date | null;
  revocationReason: string;
  checkIn: Admission | null;
}

export interface ScanVerdict {
  result: ScanResult;
  message: string;
  ticket?: TicketRecord;
  admission?: Admission;
}

/** A scan as a gate makes it. */
export interface Scan {
  scanId: string;
  code: string;
  gate: string;
  /** The gate's event; undefined admits any event's tickets. */
  eventId: string | undefined;
  /** When it was scanned: now for an online scan, the scanner's time for an offline one. */
  at: Date;
  offline: boolean;
}

const REFUSALS: Record<Exclude<ScanResult, "ADMITTED" | "ALREADY_CHECKED_IN">, string> = {
  REVOKED: "refused: this ticket was revoked",
  MALFORMED: "refused: not a ticket code",
  BAD_SIGNATURE: "refused: the code's signature does not match (forged or altered)",
  UNKNOWN_KEY: "refused: signed with a key this platform does not accept",
  WRONG_EVENT: "refused: a ticket for another event",
  UNKNOWN_TICKET: "refused: no such ticket",
};

export function refusal(result: keyof typeof REFUSALS, ticket?: TicketRecord): ScanVerdict {
  const message = result === "REVOKED" && ticket?.revocationReason ? `${REFUSALS.REVOKED} (${ticket.revocationReason})` : REFUSALS[result];
  return { result, message, ...(ticket ? { ticket } : {}) };
}

export function admitted(ticket: TicketRecord, admission: Admission): ScanVerdict {
  return { result: "ADMITTED", message: `admitted at ${admission.gate}`, ticket, admission };
}

/**
 * The verdict on a scan of a ticket that this scan did not admit just now: the ticket's state decides. A ticket
 * admitted by this very scan before (a retry) is ADMITTED again; one admitted by another scan is a duplicate.
 */
export function verdictOn(ticket: TicketRecord | undefined, scanId: string): ScanVerdict {
  if (!ticket) return refusal("UNKNOWN_TICKET");
  const admission = ticket.checkIn;
  if (admission && admission.scanId === scanId) return admitted(ticket, admission);
  if (ticket.revokedAt) return refusal("REVOKED", ticket);
  if (admission) {
    return {
      result: "ALREADY_CHECKED_IN",
      message: `already checked in at ${admission.checkedInAt.toISOString()} at ${admission.gate}`,
      ticket,
      admission,
    };
  }
  // Neither admitted nor revoked, yet the admission did not happen: only a caller bug gets here.
  throw new Error(`ticket ${ticket.id} is admissible but was not admitted`);
}

export type TicketStatus = "VALID" | "CHECKED_IN" | "REVOKED";

export const statusOf = (t: TicketRecord): TicketStatus => (t.revokedAt ? "REVOKED" : t.checkIn ? "CHECKED_IN" : "VALID");
