import { sql, type Kysely } from "kysely";
import type { Em } from "../platform/db.js";
import type { OrderLine, OrderSnapshot, OrderStatus } from "./domain/order.js";

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
  select o.id, o.user_id, o.status, o.total_minor::text, o.currency, o.expires_at, o.status_reason,
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
 * Records that (user, operation, key) ran. False when it had run before: the caller skips the change, so a retried
 * mutation is applied once.
 */
export async function claimIdempotencyKey(em: Em, userId: string, operation: string, key: string): Promise<boolean> {
  const { rows } = await sql`
    insert into checkout.idempotent_request (user_id, operation, key) values (${userId}, ${operation}, ${key})
    on conflict do nothing returning key`.execute(db(em));
  return rows.length === 1;
}

/** Adds to a cart line (creating it); false when the line would exceed `maxQuantity`. */
export async function addToCartLine(em: Em, userId: string, line: OrderLine, maxQuantity: number): Promise<boolean> {
  const { rows } = await sql`
    insert into checkout.cart_item (user_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
    values (${userId}, ${line.ticketId}::uuid, ${line.eventId}::uuid, ${line.ticketName}, ${line.quantity},
            ${line.unitPriceMinor.toString()}::bigint, ${line.currency})
    on conflict (user_id, ticket_id) do update
      set quantity = cart_item.quantity + excluded.quantity, ticket_name = excluded.ticket_name,
          unit_price_minor = excluded.unit_price_minor, updated_at = now()
      where cart_item.quantity + excluded.quantity <= ${maxQuantity}
    returning ticket_id`.execute(db(em));
  return rows.length === 1;
}

export async function setCartLine(em: Em, userId: string, line: OrderLine): Promise<void> {
  await sql`
    insert into checkout.cart_item (user_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
    values (${userId}, ${line.ticketId}::uuid, ${line.eventId}::uuid, ${line.ticketName}, ${line.quantity},
            ${line.unitPriceMinor.toString()}::bigint, ${line.currency})
    on conflict (user_id, ticket_id) do update
      set quantity = excluded.quantity, ticket_name = excluded.ticket_name,
          unit_price_minor = excluded.unit_price_minor, updated_at = now()`.execute(db(em));
}

export async function removeCartLines(em: Em, userId: string, ticketIds: readonly string[]): Promise<void> {
  await sql`delete from checkout.cart_item where user_id = ${userId} and ticket_id = any(${ticketIds}::uuid[])`.execute(db(em));
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

export async function insertOrder(em: Em, order: OrderSnapshot, idempotencyKey: string): Promise<void> {
  await sql`
    insert into checkout."order" (id, user_id, status, total_minor, currency, idempotency_key)
    values (${order.id}::uuid, ${order.userId}, ${order.status}, ${order.totalMinor.toString()}::bigint,
            ${order.currency}, ${idempotencyKey})`.execute(db(em));
  await sql`
    insert into checkout.order_item (order_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
    select ${order.id}::uuid, * from unnest(
      ${order.items.map((i) => i.ticketId)}::uuid[], ${order.items.map((i) => i.eventId)}::uuid[],
      ${order.items.map((i) => i.ticketName)}::text[], ${order.items.map((i) => i.quantity)}::int[],
      ${order.items.map((i) => i.unitPriceMinor.toString())}::bigint[], ${order.items.map((i) => i.currency)}::text[])`.execute(db(em));
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

/** Orders stuck in PLACING since before `before` (their PlaceOrder call died half-way). */
export async function stalePlacing(em: Em, before: Date, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from checkout."order" where status = 'PLACING' and updated_at < ${before}
    order by updated_at limit ${limit}`.execute(db(em));
  return rows.map((r) => r.id);
}
