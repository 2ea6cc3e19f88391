import type { Caller } from "../platform/auth.js";
import type { BusMessage } from "../platform/bus.js";
import { detached, type Em } from "../platform/db.js";
import { DomainError, notFound } from "../platform/errors.js";
import { uuidv7 } from "../platform/ids.js";
import type { KeyRing, PublicKeyInfo } from "./codes.js";
import { admitted, refusal, verdictOn, type Admission, type Scan, type ScanVerdict, type TicketRecord } from "./domain/tickets.js";
import * as repo from "./repository.js";

/** Revocations returned by one GetVerificationKeys call at most. */
const REVOCATIONS_PER_CALL = 10_000;

/** The events the service records with its changes (in the same transaction or statement). */
export interface TicketEvents {
  issued(tickets: readonly TicketRecord[]): BusMessage[];
  revoked(tickets: readonly TicketRecord[]): BusMessage[];
  checkedIn(admission: Admission): BusMessage;
  /** Called after a commit that recorded events (wakes the outbox relay). */
  committed(): void;
}

/** A paid order as admission needs it: who bought what. */
export interface PaidOrder {
  /** The order event that said it was paid; issuance is idempotent on it. */
  sourceEventId: string;
  orderId: string;
  userId: string;
  paidAt: Date;
  items: readonly { eventId: string; ticketTypeId: string; ticketTypeName: string; quantity: number }[];
}

/** Issues tickets for paid orders, signs their codes, admits them at gates and revokes them. */
export class AdmissionService {
  private readonly em: Em;

  constructor(
    em: Em,
    private readonly keys: KeyRing,
    private readonly events: TicketEvents,
  ) {
    this.em = detached(em);
  }

  /** One ticket per unit of a paid order, numbered from 1 in item order; once per order event, however often it comes. */
  async issueForPaidOrder(order: PaidOrder): Promise<TicketRecord[]> {
    const tickets: repo.NewTicket[] = [];
    for (const item of order.items) {
      for (let i = 0; i < item.quantity; i++) {
        tickets.push({
          id: uuidv7(),
          orderId: order.orderId,
          userId: order.userId,
          eventId: item.eventId,
          ticketTypeId: item.ticketTypeId,
          ticketTypeName: item.ticketTypeName,
          number: tickets.length + 1,
          issuedAt: order.paidAt,
        });
      }
    }
    const issued = await repo.issue(this.em, order.sourceEventId, tickets, (t) => this.events.issued(t));
    if (issued.length > 0) this.events.committed();
    return issued;
  }

  /**
   * Revokes every ticket of an order (cancelled, expired or refunded): their codes are refused from then on and the
   * revocations reach offline scanners. Idempotent; returns all the order's tickets (none if it has none).
   */
  async revokeOrder(orderId: string, reason: string): Promise<TicketRecord[]> {
    return (await this.#revoke({ orderId }, reason)).tickets;
  }

  async revokeTicket(ticketId: string, reason: string): Promise<TicketRecord> {
    const [ticket] = (await this.#revoke({ ticketId }, reason)).tickets;
    if (!ticket) throw notFound("ticket", ticketId);
    return ticket;
  }

  async #revoke(target: repo.RevocationTarget, reason: string) {
    const result = await repo.revoke(this.em, target, reason, (t) => this.events.revoked(t));
    if (result.revoked.length > 0) this.events.committed();
    return result;
  }

  /** A customer's own tickets; an admin's or a service's: anyone's, by the filter. */
  async listTickets(caller: Caller, filter: repo.TicketFilter, after: string[] | undefined, limit: number): Promise<TicketRecord[]> {
    if (caller.role === "customer") {
      if (filter.userId && filter.userId !== caller.sub) throw new DomainError("PermissionDenied", "customers can list only their own tickets");
      return repo.listTickets(this.em, { ...filter, userId: caller.sub }, after, limit);
    }
    return repo.listTickets(this.em, filter, after, limit);
  }

  /** The code of one of the caller's tickets (any ticket for an admin); another customer's ticket does not exist. */
  async codeOf(caller: Caller, ticketId: string): Promise<{ ticket: TicketRecord; code: string; keyId: string }> {
    const ticket = await repo.findTicket(this.em, ticketId);
    if (!ticket || (caller.role === "customer" && ticket.userId !== caller.sub)) throw notFound("ticket", ticketId);
    if (ticket.revokedAt) {
      throw new DomainError("FailedPrecondition", `ticket ${ticketId} was revoked${ticket.revocationReason ? ` (${ticket.revocationReason})` : ""}`);
    }
    return { ticket, code: this.keys.codeOf(ticket), keyId: this.keys.signingKeyId };
  }

  /**
   * Resolves one scan: a code that is not genuine, for another event, revoked or admitted before is refused with its
   * reason; otherwise the ticket is admitted, atomically (see repository.admit).
   */
  async checkIn(scan: Scan): Promise<ScanVerdict> {
    const checked = this.keys.check(scan.code);
    if (!checked.ok) return refusal(checked.reason);
    const { ticketId, eventId } = checked.ticket;
    if (scan.eventId !== undefined && scan.eventId !== eventId) return refusal("WRONG_EVENT");
    const ticket = await repo.findTicket(this.em, ticketId);
    if (!ticket || ticket.revokedAt || ticket.checkIn) return verdictOn(ticket, scan.scanId);
    const admission: Admission = {
      ticketId,
      eventId,
      ticketTypeId: ticket.ticketTypeId,
      orderId: ticket.orderId,
      userId: ticket.userId,
      gate: scan.gate,
      checkedInAt: scan.at,
      recordedAt: new Date(),
      offline: scan.offline,
      scanId: scan.scanId,
    };
    const won = await repo.admit(this.em, admission, this.events.checkedIn(admission));
    if (!won) return verdictOn(await repo.findTicket(this.em, ticketId), scan.scanId);
    this.events.committed();
    return admitted(won, admission);
  }

  /**
   * Resolves scans made offline, in the order they were made, as online scans now: the first admission recorded
   * wins, the others are duplicates. Verdicts come back in the order given.
   */
  async uploadOffline(scans: readonly Scan[]): Promise<ScanVerdict[]> {
    const order = scans.map((s, i) => ({ s, i })).sort((a, b) => a.s.at.getTime() - b.s.at.getTime() || a.i - b.i);
    const verdicts: ScanVerdict[] = new Array(scans.length);
    for (const { s, i } of order) verdicts[i] = await this.checkIn(s);
    return verdicts;
  }

  listCheckIns(eventId: string, gate: string | undefined, after: string[] | undefined, limit: number): Promise<Admission[]> {
    return repo.listCheckIns(this.em, eventId, gate, after, limit);
  }

  /** The keys codes may be signed with, and the revocations after `since` (of one event, if given). */
  async verificationKeys(since: bigint, eventId: string | undefined) {
    const revocations = await repo.revocationsSince(this.em, since, eventId, REVOCATIONS_PER_CALL + 1);
    const more = revocations.length > REVOCATIONS_PER_CALL;
    if (more) revocations.pop();
    const keys: PublicKeyInfo[] = this.keys.publicKeys();
    return { keys, revocations, version: revocations.at(-1)?.version ?? since, more };
  }
}
