import { sql, type Kysely } from "kysely";
import { prepared, type Em } from "../platform/db.js";
import type { BookingRecord, BookingStatus, EndedStatus, StockRecord } from "./domain/booking.js";

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
  payment_reference: string;
}
interface StockRow {
  ticket_id: string;
  event_id: string;
  total: number;
  held: number;
  sold: number;
  buckets: number;
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
  paymentReference: r.payment_reference,
});
const toStock = (r: StockRow): StockRecord => ({
  ticketId: r.ticket_id,
  eventId: r.event_id,
  total: r.total,
  held: r.held,
  sold: r.sold,
  buckets: r.buckets,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/** A stock as one row per ticket type: the sums over its buckets. */
const STOCK_SELECT = sql`
  select ticket_id, event_id, sum(total)::int as total, sum(held)::int as held, sum(sold)::int as sold,
         count(*)::int as buckets, min(created_at) as created_at, max(updated_at) as updated_at
  from booking.stock`;

/** Creates the stock split over `buckets` rows, the remainder of the split going to the first buckets. */
export async function insertStock(em: Em, ticketId: string, eventId: string, total: number, buckets: number): Promise<boolean> {
  const { rows } = await sql<{ bucket: number }>`
    insert into booking.stock (ticket_id, event_id, bucket, buckets, total)
    select ${ticketId}::uuid, ${eventId}::uuid, b, ${buckets}, ${Math.floor(total / buckets)} + case when b < ${total % buckets} then 1 else 0 end
    from generate_series(0, ${buckets - 1}) as b
    on conflict (ticket_id, bucket) do nothing returning bucket`.execute(db(em));
  return rows.length === buckets;
}

export async function findStock(em: Em, ticketId: string): Promise<StockRecord | undefined> {
  const { rows } = await sql<StockRow>`${STOCK_SELECT} where ticket_id = ${ticketId}::uuid group by ticket_id, event_id`.execute(db(em));
  return rows[0] && toStock(rows[0]);
}

export async function findStocks(em: Em, ticketIds: readonly string[]): Promise<StockRecord[]> {
  const { rows } = await sql<StockRow>`
    ${STOCK_SELECT} where ticket_id = any(${ticketIds}::uuid[]) group by ticket_id, event_id`.execute(db(em));
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
    ${STOCK_SELECT}
    where (${eventId ?? null}::uuid is null or event_id = ${eventId ?? null}::uuid)
      and (${after?.[0] ?? null}::uuid is null or (event_id, ticket_id) > (${after?.[0] ?? null}::uuid, ${after?.[1] ?? null}::uuid))
    group by event_id, ticket_id
    order by event_id, ticket_id limit ${limit}`.execute(db(em));
  return rows.map(toStock);
}

/** Deletes a stock (every bucket) that has nothing held or sold; "busy" when it has, "missing" when there is none. */
export async function deleteStock(em: Em, ticketId: string): Promise<"deleted" | "busy" | "missing"> {
  const { rows } = await sql<{ deleted: boolean }>`
    with gone as (
      delete from booking.stock where ticket_id = ${ticketId}::uuid
        and not exists (select 1 from booking.stock b where b.ticket_id = ${ticketId}::uuid and (b.held > 0 or b.sold > 0))
      returning ticket_id
    )
    select exists (select 1 from gone) as deleted`.execute(db(em));
  if (rows[0]?.deleted) return "deleted";
  return (await findStock(em, ticketId)) ? "busy" : "missing";
}

/** What the hold path needs to know of a stock; none of it changes after the stock is created. */
export async function stockShapes(em: Em, ticketIds: readonly string[]): Promise<{ ticketId: string; eventId: string; buckets: number }[]> {
  const { rows } = await sql<{ ticket_id: string; event_id: string; buckets: number }>`
    select ticket_id, event_id, buckets from booking.stock where ticket_id = any(${ticketIds}::uuid[]) and bucket = 0`.execute(db(em));
  return rows.map((r) => ({ ticketId: r.ticket_id, eventId: r.event_id, buckets: r.buckets }));
}

/** One order of a hold batch, with its prepared HELD event. */
export interface BatchOrder {
  orderId: string;
  expiresAt: Date;
  eventId: string;
  payload: Uint8Array;
  lines: { ticketId: string; quantity: number; bookingId: string }[];
}

export type BatchOutcome =
  | { outcome: "held" | "exists" | "missing" }
  | { outcome: "short"; shortages: { ticketId: string; available: number }[] };

/**
 * Runs booking.hold_batch: one statement, one commit, for every order of the batch. `bucket` is the bucket to draw
 * on (null: all buckets, exact across them). Returns one outcome per order, in the batch's order.
 */
export async function holdBatch(
  em: Em,
  orders: readonly BatchOrder[],
  now: Date,
  bucket: number | null,
  topic: string,
  type: string,
): Promise<BatchOutcome[]> {
  const lines = orders.flatMap((o, i) => o.lines.map((l) => ({ ...l, order: i + 1 })));
  const rows = await prepared(em, sql<{ order_index: number; outcome: string; short_ticket: string | null; short_available: number | null }>`
    select * from booking.hold_batch(
      ${orders.map((o) => o.orderId)}::uuid[], ${orders.map((o) => o.expiresAt)}::timestamptz[],
      ${orders.map((o) => o.eventId)}::uuid[], ${orders.map((o) => Buffer.from(o.payload))}::bytea[],
      ${lines.map((l) => l.order)}::int[], ${lines.map((l) => l.ticketId)}::uuid[], ${lines.map((l) => l.quantity)}::int[],
      ${lines.map((l) => l.bookingId)}::uuid[], ${now}::timestamptz, ${bucket}::int, ${topic}, ${type})`);
  const outcomes: BatchOutcome[] = orders.map(() => ({ outcome: "missing" }));
  for (const r of rows) {
    const i = r.order_index - 1;
    if (r.outcome === "short") {
      const current = outcomes[i];
      const shortages = current?.outcome === "short" ? current.shortages : [];
      shortages.push({ ticketId: r.short_ticket as string, available: r.short_available ?? 0 });
      outcomes[i] = { outcome: "short", shortages };
    } else {
      outcomes[i] = { outcome: r.outcome as "held" | "exists" | "missing" };
    }
  }
  return outcomes;
}

export async function bookingsOfOrder(em: Em, orderId: string, lock = false): Promise<BookingRecord[]> {
  const query = lock
    ? sql<BookingRow>`select * from booking.booking where order_id = ${orderId}::uuid order by id for update`
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
 * quantities leave `held` of the bucket they came from — to `sold` when confirmed, back to available otherwise. A
 * booking can therefore be ended once only, whoever races for it. The stock rows are locked in (ticket_id, bucket)
 * order, like every statement that locks several of them. Returns the bookings this call ended.
 */
export async function endHolds(em: Em, selector: HoldSelector, to: EndedStatus, paymentReference = ""): Promise<BookingRecord[]> {
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
      update booking.booking b set status = ${to}, updated_at = now(), payment_reference = ${paymentReference}
      from target where b.id = target.id and b.status = 'HELD'
      returning b.*
    ),
    per_bucket as (select ticket_id, bucket, sum(quantity)::int as quantity from ended group by ticket_id, bucket),
    locked as materialized (
      select s.ticket_id, s.bucket from booking.stock s join per_bucket p on p.ticket_id = s.ticket_id and p.bucket = s.bucket
      order by s.ticket_id, s.bucket for update of s
    ),
    settled as (
      update booking.stock s
      set held = s.held - p.quantity, sold = s.sold + case when ${sold} then p.quantity else 0 end, updated_at = now()
      from per_bucket p join locked l on l.ticket_id = p.ticket_id and l.bucket = p.bucket
      where s.ticket_id = p.ticket_id and s.bucket = p.bucket
      returning s.ticket_id
    )
    select ended.* from ended`.execute(db(em));
  return rows.map(toBooking);
}
