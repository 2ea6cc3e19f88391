import { sql } from "kysely";
import type { BusMessage } from "../platform/bus.js";
import { newestFirst, prepared, TYPED, type Em, type WireRow } from "../platform/db.js";
import { fromStates, type OrderSnapshot, type OrderStatus } from "./domain/order.js";
import type { CheckoutEntity, CheckoutTables } from "./entities.js";
import type { CartChange, CartLine, PlaceOutcome } from "./ports.js";
import { currentTraceContext } from "../platform/trace-state.js";

// Reads and the rarer writes go through Kysely typed from the entities. The statements of the on-sale's hot path
// (changing a cart, placing an order, settling a placement) stay hand-written SQL calling the schema's functions or
// writing the order and its outbox event in one round trip, as named prepared statements: that is where the
// concurrency rules live and where one round trip less is the point.

const db = (em: Em) => em.getKysely<CheckoutTables>(TYPED).withSchema("checkout");


const CART_COLUMNS = ["ticketId", "eventId", "ticketName", "quantity", "unitPriceMinor", "currency", "addedAt", "updatedAt"] as const;
const ITEM_COLUMNS = ["ticketId", "eventId", "ticketName", "quantity", "unitPriceMinor", "currency"] as const;
const ORDER_COLUMNS = [
  "id", "userId", "status", "totalMinor", "currency", "expiresAt", "statusReason", "failureKind", "paymentReference", "createdAt", "updatedAt",
] as const;

const byTicket = (a: { ticketId: string }, b: { ticketId: string }) => a.ticketId.localeCompare(b.ticketId);

/** A cart line as checkout.change_cart returns it. */
const fromWire = (r: WireRow<CheckoutEntity, "cart_item">): CartLine => ({
  ticketId: r.ticket_id,
  eventId: r.event_id,
  ticketName: r.ticket_name,
  quantity: r.quantity,
  unitPriceMinor: BigInt(r.unit_price_minor),
  currency: r.currency,
  addedAt: new Date(r.added_at),
  updatedAt: new Date(r.updated_at),
});

/** The orders selected by `where`, with their items (two queries, whatever the number of orders). */
async function ordersWith(
  em: Em,
  where: (q: ReturnType<typeof selectOrders>) => ReturnType<typeof selectOrders>,
): Promise<OrderSnapshot[]> {
  const orders = await where(selectOrders(em)).execute();
  if (orders.length === 0) return [];
  const items = await db(em)
    .selectFrom("order_item")
    .select(["order", ...ITEM_COLUMNS])
    .where("order", "in", orders.map((o) => o.id))
    .execute();
  return orders.map((o) => ({
    ...o,
    items: items.filter((i) => i.order === o.id).map(({ order: _, ...line }) => line).sort(byTicket),
  }));
}
const selectOrders = (em: Em) => db(em).selectFrom("order").select(ORDER_COLUMNS);

export async function cartOf(em: Em, userId: string): Promise<CartLine[]> {
  return db(em).selectFrom("cart_item").select(CART_COLUMNS).where("userId", "=", userId).orderBy("addedAt").orderBy("ticketId").execute();
}

/**
 * AddToCart (`set` false) or UpdateCart (`set` true; quantity 0 removes the line) in one round trip: applied once
 * per (user, operation, key), serialised per cart, limits checked under the cart's lock. Returns the cart after.
 * Throws a driver error with SQLSTATE TKCUR / TKLIN / TKQTY when the change is refused (nothing is written).
 */
export async function changeCart(
  em: Em,
  change: CartChange,
): Promise<CartLine[]> {
  const { line } = change;
  const rows = await prepared(em, sql<WireRow<CheckoutEntity, "cart_item">>`
    select ticket_id, event_id, ticket_name, quantity, unit_price_minor::text, currency, added_at, updated_at
    from checkout.change_cart(${change.userId}, ${change.operation}, ${change.key}, ${line.ticketId}::uuid, ${line.eventId}::uuid,
      ${line.ticketName}, ${line.quantity}, ${line.unitPriceMinor.toString()}::bigint, ${line.currency}, ${change.set},
      ${change.maxLines}, ${change.maxQuantity}, ${new Date()}::timestamptz)`);
  return rows.map(fromWire);
}

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
      where id = ${order.id}::uuid and status = any(${fromStates("PENDING_PAYMENT")}::text[])
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
      where id = ${order.id}::uuid and status = any(${fromStates("FAILED")}::text[])
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
  return (await ordersWith(em, (q) => q.where("id", "=", id)))[0];
}

/** Orders newest first after the (created_at, id) key; all users' when `userId` is undefined. */
export async function listOrders(
  em: Em,
  userId: string | undefined,
  status: OrderStatus | undefined,
  after: string[] | undefined,
  limit: number,
): Promise<OrderSnapshot[]> {
  return ordersWith(em, (q) => {
    let query = q;
    if (userId !== undefined) query = query.where("userId", "=", userId);
    if (status !== undefined) query = query.where("status", "=", status);
    return newestFirst(query, after, limit);
  });
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
  const moved = await db(em)
    .updateTable("order")
    .set({ status: to, updatedAt: sql<Date>`now()`, ...changes })
    .where("id", "=", id)
    .where("status", "in", from)
    .returning("id")
    .execute();
  return moved.length === 1 ? findOrder(em, id) : undefined;
}

/** Orders still PENDING_PAYMENT although their holds expired before `before`. */
export function pendingPastExpiry(em: Em, before: Date, limit: number): Promise<string[]> {
  return idsOverdue(em, "PENDING_PAYMENT", "expiresAt", before, limit);
}

/** Orders stuck in PLACING since before `before` (their PlaceOrder call died half-way). */
export function stalePlacing(em: Em, before: Date, limit: number): Promise<string[]> {
  return idsOverdue(em, "PLACING", "updatedAt", before, limit);
}

/** Ids of the orders in `status` whose `column` is before `before`, oldest first. */
async function idsOverdue(em: Em, status: OrderStatus, column: "expiresAt" | "updatedAt", before: Date, limit: number): Promise<string[]> {
  const rows = await db(em).selectFrom("order").select("id").where("status", "=", status).where(column, "<", before).orderBy(column).limit(limit).execute();
  return rows.map((r) => r.id);
}
