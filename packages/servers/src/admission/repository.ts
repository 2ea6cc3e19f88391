import { sql, type Kysely } from "kysely";
import type { BusMessage } from "../platform/bus.js";
import { prepared, transaction, type Em } from "../platform/db.js";
import { enqueue } from "../platform/outbox.js";
import type { Admission, TicketRecord } from "./domain/tickets.js";

const kysely = (em: Em) => em.getKysely() as unknown as Kysely<unknown>;

/** Revocations take this transaction-scoped advisory lock before they are numbered, so versions commit in order. */
const REVOCATION_LOCK = 0x7469636b; // "tick"

interface Row {
  id: string;
  order_id: string;
  user_id: string;
  event_id: string;
  ticket_type_id: string;
  ticket_type_name: string;
  number: number;
  issued_at: Date | string;
  revoked_at: Date | string | null;
  revocation_reason: string;
  revocation_version: string | null;
  checked_in_at: Date | string | null;
  checked_in_gate: string | null;
  check_in_scan_id: string | null;
  check_in_offline: boolean;
  check_in_recorded_at: Date | string | null;
}

function toRecord(r: Row): TicketRecord {
  return {
    id: r.id,
    orderId: r.order_id,
    userId: r.user_id,
    eventId: r.event_id,
    ticketTypeId: r.ticket_type_id,
    ticketTypeName: r.ticket_type_name,
    number: r.number,
    issuedAt: new Date(r.issued_at),
    revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
    revocationReason: r.revocation_reason,
    checkIn:
      r.checked_in_at === null
        ? null
        : {
            ticketId: r.id,
            eventId: r.event_id,
            ticketTypeId: r.ticket_type_id,
            orderId: r.order_id,
            userId: r.user_id,
            gate: r.checked_in_gate ?? "",
            checkedInAt: new Date(r.checked_in_at),
            recordedAt: new Date(r.check_in_recorded_at ?? r.checked_in_at),
            offline: r.check_in_offline,
            scanId: r.check_in_scan_id ?? "",
          },
  };
}

export type NewTicket = Omit<TicketRecord, "revokedAt" | "revocationReason" | "checkIn">;

/**
 * Issues the tickets of one paid order, once: the order event's id is recorded as processed and the tickets are
 * unique per (order, number), in one transaction with their TicketIssued events. A redelivered event issues
 * nothing; returns the tickets this call issued.
 */
export async function issue(
  em: Em,
  sourceEventId: string,
  tickets: readonly NewTicket[],
  events: (issued: readonly TicketRecord[]) => BusMessage[],
): Promise<TicketRecord[]> {
  return transaction(em, async (tx) => {
    const db = kysely(tx);
    const fresh = await sql`
      insert into admission.processed_event (event_id) values (${sourceEventId}::uuid)
      on conflict do nothing returning event_id`.execute(db);
    if (fresh.rows.length === 0 || tickets.length === 0) return [];
    const { rows } = await sql<Row>`
      insert into admission.ticket (id, order_id, user_id, event_id, ticket_type_id, ticket_type_name, number, source_event_id, issued_at)
      select t.*, ${sourceEventId}::uuid, ${tickets[0]?.issuedAt}::timestamptz
      from unnest(${tickets.map((t) => t.id)}::uuid[], ${tickets.map((t) => t.orderId)}::uuid[], ${tickets.map((t) => t.userId)}::text[],
                  ${tickets.map((t) => t.eventId)}::uuid[], ${tickets.map((t) => t.ticketTypeId)}::uuid[],
                  ${tickets.map((t) => t.ticketTypeName)}::text[], ${tickets.map((t) => t.number)}::int[])
        as t(id, order_id, user_id, event_id, ticket_type_id, ticket_type_name, number)
      on conflict (order_id, number) do nothing
      returning *`.execute(db);
    const issued = rows.map(toRecord).sort((a, b) => a.number - b.number);
    await enqueue(tx, "admission", events(issued));
    return issued;
  });
}

/** Which tickets a revocation concerns. */
export type RevocationTarget = { ticketId: string } | { orderId: string };

/**
 * Revokes the target's tickets that are not revoked yet, numbering each revocation, with their TicketRevoked
 * events, in one transaction. Returns every ticket of the target afterwards and which of them this call revoked.
 */
export async function revoke(
  em: Em,
  target: RevocationTarget,
  reason: string,
  events: (revoked: readonly TicketRecord[]) => BusMessage[],
): Promise<{ tickets: TicketRecord[]; revoked: TicketRecord[] }> {
  return transaction(em, async (tx) => {
    const db = kysely(tx);
    const ticketId = "ticketId" in target ? target.ticketId : null;
    const orderId = "orderId" in target ? target.orderId : null;
    const matching = sql`(id = ${ticketId}::uuid or order_id = ${orderId}::uuid)`;
    const open = await sql<{ id: string }>`
      select id from admission.ticket where ${matching} and revoked_at is null order by id for update`.execute(db);
    let revoked: TicketRecord[] = [];
    if (open.rows.length > 0) {
      await sql`select pg_advisory_xact_lock(${REVOCATION_LOCK})`.execute(db);
      const { rows } = await sql<Row>`
        update admission.ticket set revoked_at = now(), revocation_reason = ${reason},
          revocation_version = nextval('admission.revocation_version')
        where id = any(${open.rows.map((r) => r.id)}::uuid[]) and revoked_at is null
        returning *`.execute(db);
      revoked = rows.map(toRecord);
      await enqueue(tx, "admission", events(revoked));
    }
    const all = await sql<Row>`select * from admission.ticket where ${matching} order by number`.execute(db);
    return { tickets: all.rows.map(toRecord), revoked };
  });
}

export async function findTicket(em: Em, ticketId: string): Promise<TicketRecord | undefined> {
  const rows = await prepared<Row>(em, sql`select * from admission.ticket where id = ${ticketId}::uuid`);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/**
 * Records a ticket's admission if it has none and is not revoked, with its CheckedIn event, in one statement: of
 * concurrent scans one updates the row, the others find `checked_in_at` set once its lock is released (READ
 * COMMITTED re-reads the row) and update nothing. Returns the ticket when this call admitted it.
 */
export async function admit(em: Em, admission: Admission, event: BusMessage): Promise<TicketRecord | undefined> {
  const rows = await prepared<Row>(
    em,
    sql`
      with admitted as (
        update admission.ticket set checked_in_at = ${admission.checkedInAt}::timestamptz, checked_in_gate = ${admission.gate},
          check_in_scan_id = ${admission.scanId}, check_in_offline = ${admission.offline},
          check_in_recorded_at = ${admission.recordedAt}::timestamptz
        where id = ${admission.ticketId}::uuid and checked_in_at is null and revoked_at is null
        returning *
      ),
      published as (
        insert into admission.outbox (event_id, topic, key, type, payload)
        select ${event.eventId}::uuid, ${event.topic}, ${event.key}, ${event.type}, ${Buffer.from(event.value)}::bytea from admitted
      )
      select * from admitted`,
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export interface TicketFilter {
  userId?: string | undefined;
  orderId?: string | undefined;
  eventId?: string | undefined;
}

/** Newest first after the (issued_at, id) key. */
export async function listTickets(em: Em, filter: TicketFilter, after: string[] | undefined, limit: number): Promise<TicketRecord[]> {
  const { rows } = await sql<Row>`
    select * from admission.ticket
    where (${filter.userId ?? null}::text is null or user_id = ${filter.userId ?? null}::text)
      and (${filter.orderId ?? null}::uuid is null or order_id = ${filter.orderId ?? null}::uuid)
      and (${filter.eventId ?? null}::uuid is null or event_id = ${filter.eventId ?? null}::uuid)
      and (${after?.[0] ?? null}::timestamptz is null
           or (issued_at, id) < (${after?.[0] ?? null}::timestamptz, ${after?.[1] ?? null}::uuid))
    order by issued_at desc, id desc limit ${limit}`.execute(kysely(em));
  return rows.map(toRecord);
}

/** An event's admissions, newest recorded first after the (recorded_at, ticket id) key. */
export async function listCheckIns(em: Em, eventId: string, gate: string | undefined, after: string[] | undefined, limit: number): Promise<Admission[]> {
  const { rows } = await sql<Row>`
    select * from admission.ticket
    where event_id = ${eventId}::uuid and checked_in_at is not null
      and (${gate ?? null}::text is null or checked_in_gate = ${gate ?? null}::text)
      and (${after?.[0] ?? null}::timestamptz is null
           or (check_in_recorded_at, id) < (${after?.[0] ?? null}::timestamptz, ${after?.[1] ?? null}::uuid))
    order by check_in_recorded_at desc, id desc limit ${limit}`.execute(kysely(em));
  return rows.map((r) => toRecord(r).checkIn as Admission);
}

export interface RevocationEntry {
  ticketId: string;
  eventId: string;
  version: bigint;
  revokedAt: Date;
}

/** Revocations after `since`, in version order. */
export async function revocationsSince(em: Em, since: bigint, eventId: string | undefined, limit: number): Promise<RevocationEntry[]> {
  const { rows } = await sql<{ id: string; event_id: string; revocation_version: string; revoked_at: Date | string }>`
    select id, event_id, revocation_version, revoked_at from admission.ticket
    where revocation_version > ${String(since)}::bigint
      and (${eventId ?? null}::uuid is null or event_id = ${eventId ?? null}::uuid)
    order by revocation_version limit ${limit}`.execute(kysely(em));
  return rows.map((r) => ({ ticketId: r.id, eventId: r.event_id, version: BigInt(r.revocation_version), revokedAt: new Date(r.revoked_at) }));
}

/**
 * The signing key kept in the database: `candidate` is stored when there is none yet, and every replica then reads
 * the same (oldest) one, even when two stored a candidate at the same moment.
 */
export async function keptSigningKey(em: Em, candidate: { keyId: string; pem: string }): Promise<string> {
  const db = kysely(em);
  await sql`
    insert into admission.signing_key (key_id, private_key)
    select ${candidate.keyId}, ${candidate.pem} where not exists (select 1 from admission.signing_key)
    on conflict do nothing`.execute(db);
  const { rows } = await sql<{ private_key: string }>`
    select private_key from admission.signing_key order by created_at, key_id limit 1`.execute(db);
  return (rows[0] as { private_key: string }).private_key;
}
