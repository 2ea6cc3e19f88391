import { sql, type Kysely } from "kysely";
import type { BusMessage } from "../platform/bus.js";
import { prepared, type Em } from "../platform/db.js";
import { currentTraceContext } from "../platform/trace-state.js";
import type { FailureKind, OrderLine, OrderSnapshot, OrderStatus } from "./domain/order.js";

type Db = Kysely<unknown>;
const db = (em: Em): Db => em.getKysely() as unknown as Db;

export interface CartLine extends OrderLine {
  addedAt: Date;
  updatedAt: Date;
}

interface CartRow {
  ticket_id: string;
  event_id: string;
  ticket_name: string;
  quantity: number;
  unit_price_minor: string;
  currency: string;
  added_at: Date | string;
  updated_at: Date | string;
}
interface OrderRow {
  id: string;
  user_id: string;
  status: OrderStatus;
  total_minor: string;
  currency: string;
  expires_at: Date | string | null;
  status_reason: string;
  failure_kind: FailureKind | null;
  payment_reference: string;
  created_at: Date | string;
  updated_at: Date | string;
  items: { ticket_id: string; event_id: string; ticket_name: string; quantity: number; unit_price_minor: string; currency: string }[];
}

const toCartLine = (r: CartRow): CartLine => ({
  ticketId: r.ticket_id,
  eventId: r.event_id,
  ticketName: r.ticket_name,
  quantity: r.quantity,
  unitPriceMinor: BigInt(r.unit_price_minor),
  currency: r.currency.trim(),
  addedAt: new Date(r.added_at),
  updatedAt: new Date(r.updated_at),
});

const toOrder = (r: OrderRow): OrderSnapshot => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  totalMinor: BigInt(r.total_minor),
  currency: r.currency.trim(),
  expiresAt: r.expires_at ? new Date(r.expires_at) : null,
  statusReason: r.status_reason,
  failureKind: r.failure_kind,
  paymentReference: r.payment_reference,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  items: (r.items ?? [])
    .map((i) => ({
      ticketId: i.ticket_id,
      eventId: i.event_id,
      ticketName: i.ticket_name,
      quantity: i.quantity,
      unitPriceMinor: BigInt(i.unit_price_minor),
      currency: i.currency.trim(),
    }))
    .sort((a, b) => a.ticketId.localeCompare(b.ticketId)),
});

/** An order with its items, one query. */
const ORDER_SELECT = sql`
  select o.id, o.user_id, o.status, o.total_minor::text, o.currency, o.expires_at, o.status_reason, o.failure_kind,
         o.payment_reference, o.created_at, o.updated_at,
         coalesce((select json_agg(json_build_object(
           'ticket_id', i.ticket_id, 'event_id', i.event_id, 'ticket_name', i.ticket_name, 'quantity', i.quantity,
           'unit_price_minor', i.unit_price_minor::text, 'currency', i.currency))
           from checkout.order_item i where i.order_id = o.id), '[]'::json) as items
  from checkout."order" o`;

export async function cartOf(em: Em, userId: string): Promise<CartLine[]> {
  const { rows } = await sql<CartRow>`
    select ticket_id, event_id, ticket_name, quantity, unit_price_minor::text, currency, added_at, updated_at
    from checkout.cart_item where user_id = ${userId} order by added_at, ticket_id`.execute(db(em));
  return rows.map(toCartLine);
}

/**
 * AddToCart (`set` false) or UpdateCart (`set` true; quantity 0 removes the line) in one round trip: applied once
 * per (user, operation, key), serialised per cart, limits checked under the cart's lock. Returns the cart after.
 * Throws a driver error with SQLSTATE TKCUR / TKLIN / TKQTY when the change is refused (nothing is written).
 */
export async function changeCart(
  em: Em,
  change: { userId: string; operation: string; key: string; line: OrderLine; set: boolean; maxLines: number; maxQuantity: number },
): Promise<CartLine[]> {
  const { line } = change;
  const rows = await prepared(em, sql<CartRow>`
    select ticket_id, event_id, ticket_name, quantity, unit_price_minor::text, currency, added_at, updated_at
    from checkout.change_cart(${change.userId}, ${change.operation}, ${change.key}, ${line.ticketId}::uuid, ${line.eventId}::uuid,
      ${line.ticketName}, ${line.quantity}, ${line.unitPriceMinor.toString()}::bigint, ${line.currency}, ${change.set},
      ${change.maxLines}, ${change.maxQuantity}, ${new Date()}::timestamptz)`);
  return rows.map(toCartLine);
}

/** What checkout.place_from_cart did. */
export type PlaceOutcome =
  | { outcome: "existing"; orderId: string }
  | { outcome: "empty" }
  | { outcome: "currencies"; currencies: string[] }
  | { outcome: "sold_out"; lines: { ticketId: string; quantity: number }[] }
  | { outcome: "placed"; lines: OrderLine[] };

/**
 * Records the cart as a PLACING order in one round trip (see checkout.place_from_cart), or says why not. Lines come
 * priced as the cart holds them.
 */
export async function placeFromCart(
  em: Em,
  orderId: string,
  userId: string,
  key: string,
  now: Date,
  believedSoldOut: readonly string[],
): Promise<PlaceOutcome> {
  const rows = await prepared<{
    outcome: PlaceOutcome["outcome"];
    order_id: string | null;
    ticket_id: string | null;
    event_id: string | null;
    ticket_name: string | null;
    quantity: number | null;
    unit_price_minor: string | null;
    currency: string | null;
  }>(
    em,
    sql`select outcome, order_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor::text, currency
        from checkout.place_from_cart(${orderId}::uuid, ${userId}, ${key}, ${now}::timestamptz, ${believedSoldOut}::uuid[])`,
  );
  const first = rows[0];
  switch (first?.outcome) {
    case "existing":
      return { outcome: "existing", orderId: first.order_id as string };
    case "currencies":
      return { outcome: "currencies", currencies: [...new Set(rows.map((r) => (r.currency as string).trim()))] };
    case "sold_out":
      return { outcome: "sold_out", lines: rows.map((r) => ({ ticketId: r.ticket_id as string, quantity: r.quantity as number })) };
    case "placed":
      return {
        outcome: "placed",
        lines: rows
          .map((r) => ({
            ticketId: r.ticket_id as string,
            eventId: r.event_id as string,
            ticketName: r.ticket_name as string,
            quantity: r.quantity as number,
            unitPriceMinor: BigInt(r.unit_price_minor as string),
            currency: (r.currency as string).trim(),
          }))
          .sort((a, b) => a.ticketId.localeCompare(b.ticketId)),
      };
    default:
      return { outcome: "empty" };
  }
}

const outboxRow = (event: BusMessage) =>
  sql`${event.eventId}::uuid, ${event.topic}, ${event.key}, ${event.type}, ${Buffer.from(event.value)}::bytea, ${event.traceContext ?? currentTraceContext() ?? null}::text`;

/** PLACING → PENDING_PAYMENT with the holds' expiry, and its PLACED event, in one statement. False if the order had moved on. */
export async function markPlaced(em: Em, order: OrderSnapshot, event: BusMessage): Promise<boolean> {
  const rows = await prepared(em, sql<{ id: string }>`
    with moved as (
      update checkout."order" set status = 'PENDING_PAYMENT', expires_at = ${order.expiresAt}::timestamptz, updated_at = ${order.updatedAt}::timestamptz
      where id = ${order.id}::uuid and status = 'PLACING'
      returning id
    )
    insert into checkout.outbox (event_id, topic, key, type, payload, trace_context)
    select ${outboxRow(event)} from moved
    returning key as id`);
  return rows.length === 1;
}

/**
 * PLACING → FAILED with its reason and kind, the order's quantities back into the cart (a line is never filled
 * past `maxQuantity`), and its FAILED event, in one statement. False if the order had moved on.
 */
export async function failPlacing(em: Em, order: OrderSnapshot, event: BusMessage, maxQuantity: number): Promise<boolean> {
  const rows = await prepared(em, sql<{ id: string }>`
    with failed as (
      update checkout."order" set status = 'FAILED', status_reason = ${order.statusReason}, failure_kind = ${order.failureKind},
        updated_at = ${order.updatedAt}::timestamptz
      where id = ${order.id}::uuid and status = 'PLACING'
      returning id, user_id
    ),
    returned as (
      insert into checkout.cart_item as c (user_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency, added_at, updated_at)
      select f.user_id, i.ticket_id, i.event_id, i.ticket_name, least(i.quantity, ${maxQuantity}), i.unit_price_minor, i.currency,
             ${order.updatedAt}::timestamptz, ${order.updatedAt}::timestamptz
      from failed f join checkout.order_item i on i.order_id = f.id
      on conflict (user_id, ticket_id) do update
        set quantity = least(c.quantity + excluded.quantity, ${maxQuantity}), updated_at = excluded.updated_at
      returning 1
    )
    insert into checkout.outbox (event_id, topic, key, type, payload, trace_context)
    select ${outboxRow(event)} from failed
    returning key as id`);
  return rows.length === 1;
}

export async function findOrder(em: Em, id: string): Promise<OrderSnapshot | undefined> {
  const { rows } = await sql<OrderRow>`${ORDER_SELECT} where o.id = ${id}::uuid`.execute(db(em));
  return rows[0] && toOrder(rows[0]);
}

export async function findOrderByKey(em: Em, userId: string, key: string): Promise<OrderSnapshot | undefined> {
  const { rows } = await sql<OrderRow>`${ORDER_SELECT} where o.user_id = ${userId} and o.idempotency_key = ${key}`.execute(db(em));
  return rows[0] && toOrder(rows[0]);
}

/** Orders newest first after the (created_at, id) key; all users' when `userId` is undefined. */
export async function listOrders(
  em: Em,
  userId: string | undefined,
  status: OrderStatus | undefined,
  after: string[] | undefined,
  limit: number,
): Promise<OrderSnapshot[]> {
  const { rows } = await sql<OrderRow>`${ORDER_SELECT}
    where (${userId ?? null}::text is null or o.user_id = ${userId ?? null}::text)
      and (${status ?? null}::text is null or o.status = ${status ?? null}::text)
      and (${after?.[0] ?? null}::timestamptz is null
           or (o.created_at, o.id) < (${after?.[0] ?? null}::timestamptz, ${after?.[1] ?? null}::uuid))
    order by o.created_at desc, o.id desc limit ${limit}`.execute(db(em));
  return rows.map(toOrder);
}

/**
 * Moves an order from one of `from` to `to` if — and only if — it is still in one of them: the compare-and-set that
 * makes concurrent transitions end with one winner. Returns the updated order, or undefined if another change won.
 */
export async function transition(
  em: Em,
  id: string,
  from: readonly OrderStatus[],
  to: OrderStatus,
  changes: { expiresAt?: Date; statusReason?: string; paymentReference?: string } = {},
): Promise<OrderSnapshot | undefined> {
  const { rows } = await sql<{ id: string }>`
    update checkout."order"
    set status = ${to}, updated_at = now(),
        expires_at = coalesce(${changes.expiresAt ?? null}::timestamptz, expires_at),
        status_reason = coalesce(${changes.statusReason ?? null}::text, status_reason),
        payment_reference = coalesce(${changes.paymentReference ?? null}::text, payment_reference)
    where id = ${id}::uuid and status = any(${from}::text[])
    returning id`.execute(db(em));
  return rows.length === 1 ? findOrder(em, id) : undefined;
}

/** Orders still PENDING_PAYMENT although their holds expired before `before`. */
export async function pendingPastExpiry(em: Em, before: Date, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from checkout."order" where status = 'PENDING_PAYMENT' and expires_at < ${before}
    order by expires_at limit ${limit}`.execute(db(em));
  return rows.map((r) => r.id);
}

/** Orders stuck in PLACING since before `before` (their PlaceOrder call died half-way). */
export async function stalePlacing(em: Em, before: Date, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from checkout."order" where status = 'PLACING' and updated_at < ${before}
    order by updated_at limit ${limit}`.execute(db(em));
  return rows.map((r) => r.id);
}
