import { sql, type Kysely } from "kysely";
import { randomUUID } from "node:crypto";
import type { Em } from "../platform/db.js";
import type { BookingRecord, BookingStatus, EndedStatus, HoldItem, StockRecord } from "./domain/booking.js";

// The driver hands timestamps over as strings (MikroORM's type parsers); the mappers turn them into Dates.
// All stock and hold changes are single conditional statements: the database decides who wins, and no row lock is
// held across anything but the statement itself and the rest of its (short, local) transaction.

type Db = Kysely<unknown>;
const db = (em: Em): Db => em.getKysely() as unknown as Db;

interface BookingRow {
  id: string;
  order_id: string;
  ticket_id: string;
  event_id: string;
  quantity: number;
  status: BookingStatus;
  expires_at: Date | string;
  created_at: Date | string;
  updated_at: Date | string;
}
interface StockRow {
  ticket_id: string;
  event_id: string;
  total: number;
  held: number;
  sold: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const toBooking = (r: BookingRow): BookingRecord => ({
  id: r.id,
  orderId: r.order_id,
  ticketId: r.ticket_id,
  eventId: r.event_id,
  quantity: r.quantity,
  status: r.status,
  expiresAt: new Date(r.expires_at),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});
const toStock = (r: StockRow): StockRecord => ({
  ticketId: r.ticket_id,
  eventId: r.event_id,
  total: r.total,
  held: r.held,
  sold: r.sold,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export async function insertStock(em: Em, ticketId: string, eventId: string, total: number): Promise<StockRecord | undefined> {
  const { rows } = await sql<StockRow>`
    insert into booking.stock (ticket_id, event_id, total) values (${ticketId}::uuid, ${eventId}::uuid, ${total})
    on conflict (ticket_id) do nothing returning *`.execute(db(em));
  return rows[0] && toStock(rows[0]);
}

export async function findStock(em: Em, ticketId: string): Promise<StockRecord | undefined> {
  const { rows } = await sql<StockRow>`select * from booking.stock where ticket_id = ${ticketId}::uuid`.execute(db(em));
  return rows[0] && toStock(rows[0]);
}

export async function findStocks(em: Em, ticketIds: readonly string[]): Promise<StockRecord[]> {
  const { rows } = await sql<StockRow>`
    select * from booking.stock where ticket_id = any(${ticketIds}::uuid[])`.execute(db(em));
  return rows.map(toStock);
}

/** Stocks ordered by (event_id, ticket_id), after the given key. */
export async function listStocks(
  em: Em,
  eventId: string | undefined,
  after: string[] | undefined,
  limit: number,
): Promise<StockRecord[]> {
  const { rows } = await sql<StockRow>`
    select * from booking.stock
    where (${eventId ?? null}::uuid is null or event_id = ${eventId ?? null}::uuid)
      and (${after?.[0] ?? null}::uuid is null or (event_id, ticket_id) > (${after?.[0] ?? null}::uuid, ${after?.[1] ?? null}::uuid))
    order by event_id, ticket_id limit ${limit}`.execute(db(em));
  return rows.map(toStock);
}

/** Deletes a stock that has nothing held or sold; "busy" when it has, "missing" when there is none. */
export async function deleteStock(em: Em, ticketId: string): Promise<"deleted" | "busy" | "missing"> {
  const { rows } = await sql<{ deleted: boolean }>`
    with gone as (
      delete from booking.stock where ticket_id = ${ticketId}::uuid and held = 0 and sold = 0 returning ticket_id
    )
    select exists (select 1 from gone) as deleted`.execute(db(em));
  if (rows[0]?.deleted) return "deleted";
  return (await findStock(em, ticketId)) ? "busy" : "missing";
}

/**
 * Takes `quantity` from one stock if that many are available: one atomic conditional update. Returns false when
 * the stock is missing or short.
 */
export async function takeFromStock(em: Em, item: HoldItem): Promise<{ eventId: string } | undefined> {
  const { rows } = await sql<{ event_id: string }>`
    update booking.stock set held = held + ${item.quantity}, updated_at = now()
    where ticket_id = ${item.ticketId}::uuid and total - held - sold >= ${item.quantity}
    returning event_id`.execute(db(em));
  return rows[0] ? { eventId: rows[0].event_id } : undefined;
}

export async function insertHolds(
  em: Em,
  orderId: string,
  lines: readonly { ticketId: string; eventId: string; quantity: number }[],
  ttlSeconds: number,
): Promise<BookingRecord[]> {
  const { rows } = await sql<BookingRow>`
    insert into booking.booking (id, order_id, ticket_id, event_id, quantity, status, expires_at)
    select id, ${orderId}::uuid, ticket_id, event_id, quantity, 'HELD', now() + make_interval(secs => ${ttlSeconds})
    from unnest(${lines.map(() => randomUUID())}::uuid[], ${lines.map((l) => l.ticketId)}::uuid[],
                ${lines.map((l) => l.eventId)}::uuid[], ${lines.map((l) => l.quantity)}::int[])
      as t(id, ticket_id, event_id, quantity)
    returning *`.execute(db(em));
  return rows.map(toBooking).sort((a, b) => a.ticketId.localeCompare(b.ticketId));
}

export async function bookingsOfOrder(em: Em, orderId: string, lock = false): Promise<BookingRecord[]> {
  const query = lock
    ? sql<BookingRow>`select * from booking.booking where order_id = ${orderId}::uuid order by ticket_id for update`
    : sql<BookingRow>`select * from booking.booking where order_id = ${orderId}::uuid order by ticket_id`;
  const { rows } = await query.execute(db(em));
  return rows.map(toBooking);
}

/** Bookings newest first, after the given (created_at, id) key. */
export async function listBookings(
  em: Em,
  filter: { orderId?: string | undefined; status?: BookingStatus | undefined },
  after: string[] | undefined,
  limit: number,
): Promise<BookingRecord[]> {
  const { rows } = await sql<BookingRow>`
    select * from booking.booking
    where (${filter.orderId ?? null}::uuid is null or order_id = ${filter.orderId ?? null}::uuid)
      and (${filter.status ?? null}::text is null or status = ${filter.status ?? null}::text)
      and (${after?.[0] ?? null}::timestamptz is null
           or (created_at, id) < (${after?.[0] ?? null}::timestamptz, ${after?.[1] ?? null}::uuid))
    order by created_at desc, id desc limit ${limit}`.execute(db(em));
  return rows.map(toBooking);
}

/** Which HELD bookings to end. */
export type HoldSelector =
  | { kind: "order"; orderId: string }
  | { kind: "ids"; ids: readonly string[] }
  | { kind: "due"; limit: number };

/**
 * Ends the selected HELD bookings and settles their stock, in ONE statement: the bookings are locked (due ones with
 * SKIP LOCKED, so parallel sweepers take disjoint batches), moved out of HELD only if still HELD, and their
 * quantities leave `held` — to `sold` when confirmed, back to available otherwise. A booking can therefore be
 * ended once only, whoever races for it. Returns the bookings this call ended.
 */
export async function endHolds(em: Em, selector: HoldSelector, to: EndedStatus): Promise<BookingRecord[]> {
  const target =
    selector.kind === "order"
      ? sql`select id from booking.booking where order_id = ${selector.orderId}::uuid and status = 'HELD'
            order by id for update`
      : selector.kind === "ids"
        ? sql`select id from booking.booking where id = any(${selector.ids}::uuid[]) and status = 'HELD'
              order by id for update`
        : sql`select id from booking.booking where status = 'HELD' and expires_at <= now()
              order by expires_at, id limit ${selector.limit} for update skip locked`;
  const sold = to === "CONFIRMED";
  const { rows } = await sql<BookingRow>`
    with target as (${target}),
    ended as (
      update booking.booking b set status = ${to}, updated_at = now()
      from target where b.id = target.id and b.status = 'HELD'
      returning b.*
    ),
    per_ticket as (select ticket_id, sum(quantity)::int as quantity from ended group by ticket_id),
    settled as (
      update booking.stock s
      set held = s.held - p.quantity, sold = s.sold + case when ${sold} then p.quantity else 0 end, updated_at = now()
      from per_ticket p where s.ticket_id = p.ticket_id
      returning s.ticket_id
    )
    select ended.* from ended`.execute(db(em));
  return rows.map(toBooking);
}
