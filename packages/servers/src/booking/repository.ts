import { sql } from "kysely";
import { newestFirst, prepared, TYPED, type Em, type WireRow } from "../platform/db.js";
import { holdFromStates, type BookingRecord, type EndedStatus, type StockRecord } from "./domain/booking.js";
import type { BookingEntity, BookingTables } from "./entities.js";
import type { BookingFilter, HoldSelector } from "./ports.js";

// Reads and the rarer writes go through Kysely typed from the entities. Every statement that changes held or sold
// stock stays hand-written SQL (booking.hold_batch, endHolds): single conditional statements, so the database decides
// who wins and no row lock is held across anything but the statement and the rest of its short transaction.

const db = (em: Em) => em.getKysely<BookingTables>(TYPED).withSchema("booking");

const BOOKING_COLUMNS = [
  "id", "orderId", "ticketId", "eventId", "quantity", "status", "expiresAt", "createdAt", "updatedAt", "paymentReference",
] as const;

/** A booking as hand-written SQL returns it (`returning b.*`). */
const fromWire = (r: WireRow<BookingEntity, "booking">): BookingRecord => ({
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

/** Stocks as one row per ticket type: the sums over their buckets. */
const stocks = (em: Em) =>
  db(em)
    .selectFrom("stock")
    .select([
      "ticketId",
      "eventId",
      sql<number>`sum(total)::int`.as("total"),
      sql<number>`sum(held)::int`.as("held"),
      sql<number>`sum(sold)::int`.as("sold"),
      sql<number>`count(*)::int`.as("buckets"),
      (eb) => eb.fn.min("createdAt").as("createdAt"),
      (eb) => eb.fn.max("updatedAt").as("updatedAt"),
    ])
    .groupBy(["eventId", "ticketId"]);

/** Creates the stock split over `buckets` rows, the remainder of the split going to the first buckets. */
export async function insertStock(em: Em, ticketId: string, eventId: string, total: number, buckets: number): Promise<boolean> {
  const rows = Array.from({ length: buckets }, (_, bucket) => ({
    ticketId,
    eventId,
    bucket,
    buckets,
    total: Math.floor(total / buckets) + (bucket < total % buckets ? 1 : 0),
  }));
  const created = await db(em)
    .insertInto("stock")
    .values(rows)
    .onConflict((oc) => oc.columns(["ticketId", "bucket"]).doNothing())
    .returning("bucket")
    .execute();
  return created.length === buckets;
}

export async function findStock(em: Em, ticketId: string): Promise<StockRecord | undefined> {
  return stocks(em).where("ticketId", "=", ticketId).executeTakeFirst();
}

/** Stocks ordered by (event_id, ticket_id), after the given key. */
export async function listStocks(
  em: Em,
  eventId: string | undefined,
  after: string[] | undefined,
  limit: number,
): Promise<StockRecord[]> {
  let query = stocks(em);
  if (eventId !== undefined) query = query.where("eventId", "=", eventId);
  if (after?.[0] !== undefined && after[1] !== undefined) {
    const key = [after[0], after[1]] as const;
    query = query.where((eb) => eb(eb.refTuple("eventId", "ticketId"), ">", eb.tuple(key[0], key[1])));
  }
  return query.orderBy("eventId").orderBy("ticketId").limit(limit).execute();
}

/** Deletes a stock (every bucket) that has nothing held or sold; "busy" when it has, "missing" when there is none. */
export async function deleteStock(em: Em, ticketId: string): Promise<"deleted" | "busy" | "missing"> {
  const deleted = await db(em)
    .deleteFrom("stock")
    .where("ticketId", "=", ticketId)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom("stock as b").select("b.bucket").where("b.ticketId", "=", ticketId).where((w) => w.or([w("b.held", ">", 0), w("b.sold", ">", 0)])),
        ),
      ),
    )
    .returning("bucket")
    .execute();
  if (deleted.length > 0) return "deleted";
  return (await findStock(em, ticketId)) ? "busy" : "missing";
}

/** What the hold path needs to know of a stock; none of it changes after the stock is created. */
export async function stockShapes(em: Em, ticketIds: readonly string[]): Promise<{ ticketId: string; eventId: string; buckets: number }[]> {
  if (ticketIds.length === 0) return [];
  return db(em).selectFrom("stock").select(["ticketId", "eventId", "buckets"]).where("ticketId", "in", ticketIds).where("bucket", "=", 0).execute();
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
  const query = db(em).selectFrom("booking").select(BOOKING_COLUMNS).where("orderId", "=", orderId);
  return lock ? query.orderBy("id").forUpdate().execute() : query.orderBy("ticketId").execute();
}

/** Bookings newest first, after the given (created_at, id) key. */
export async function listBookings(
  em: Em,
  filter: BookingFilter,
  after: string[] | undefined,
  limit: number,
): Promise<BookingRecord[]> {
  let query = db(em).selectFrom("booking").select(BOOKING_COLUMNS);
  if (filter.orderId !== undefined) query = query.where("orderId", "=", filter.orderId);
  if (filter.status !== undefined) query = query.where("status", "=", filter.status);
  return newestFirst(query, after, limit).execute();
}

/**
 * Ends the selected HELD bookings and settles their stock, in ONE statement: the bookings are locked (due ones with
 * SKIP LOCKED, so parallel sweepers take disjoint batches), moved out of HELD only if still HELD, and their
 * quantities leave `held` of the bucket they came from — to `sold` when confirmed, back to available otherwise. A
 * booking can therefore be ended once only, whoever races for it. The stock rows are locked in (ticket_id, bucket)
 * order, like every statement that locks several of them. Returns the bookings this call ended.
 */
export async function endHolds(em: Em, selector: HoldSelector, to: EndedStatus, paymentReference = ""): Promise<BookingRecord[]> {
  // As literals, so the due-hold query still matches the partial index on HELD bookings.
  const from = sql.join(holdFromStates(to).map((status) => sql.lit(status)));
  const target =
    selector.kind === "order"
      ? sql`select id from booking.booking where order_id = ${selector.orderId}::uuid and status in (${from})
            order by id for update`
      : selector.kind === "ids"
        ? sql`select id from booking.booking where id = any(${selector.ids}::uuid[]) and status in (${from})
              order by id for update`
        : sql`select id from booking.booking where status in (${from}) and expires_at <= now()
              order by expires_at, id limit ${selector.limit} for update skip locked`;
  const sold = to === "CONFIRMED";
  const { rows } = await sql<WireRow<BookingEntity, "booking">>`
    with target as (${target}),
    ended as (
      update booking.booking b set status = ${to}, updated_at = now(), payment_reference = ${paymentReference}
      from target where b.id = target.id and b.status in (${from})
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
  return rows.map(fromWire);
}
