import { Migration } from "@mikro-orm/migrations";

/**
 * `checkout.place_from_cart` records a PLACING order in one round trip: under the cart's lock it answers with the
 * order already placed under this idempotency key, or refuses (writing nothing) when the cart is empty, mixes
 * currencies or holds a ticket type the caller knows is sold out, or else records the whole cart as the order and
 * empties it. Lines are priced as the cart holds them; the service checks them against its catalogue read model
 * before asking booking for holds. It replaces reading the cart and then calling `checkout.record_order`, which goes.
 */
export class Migration20261125030000_place_from_cart extends Migration {
  override up(): void {
    this.addSql(`
create function checkout.place_from_cart(
  p_order uuid, p_user text, p_key text, p_now timestamptz,
  p_sold_out uuid[]         -- ticket types the caller believes sold out: a cart with one of them is refused
) returns table (outcome text, order_id uuid, ticket_id uuid, event_id uuid, ticket_name text, quantity int,
                 unit_price_minor bigint, currency text)
language plpgsql as $fn$
declare
  v_existing uuid;
  v_lines int;
  v_currencies int;
begin
  -- The lock first: a concurrent call with the same key must find the order, not the cart it emptied.
  perform pg_advisory_xact_lock(hashtextextended('ticketing.checkout.cart:' || p_user, 0));
  select o.id into v_existing from checkout."order" o where o.user_id = p_user and o.idempotency_key = p_key;
  if found then
    return query select 'existing'::text, v_existing, null::uuid, null::uuid, null::text, null::int, null::bigint, null::text;
    return;
  end if;
  select count(*), count(distinct c.currency) into v_lines, v_currencies from checkout.cart_item c where c.user_id = p_user;
  if v_lines = 0 then
    return query select 'empty'::text, null::uuid, null::uuid, null::uuid, null::text, null::int, null::bigint, null::text;
    return;
  end if;
  if v_currencies > 1 then
    return query select 'currencies'::text, null::uuid, null::uuid, null::uuid, null::text, null::int, null::bigint, c.currency::text
      from checkout.cart_item c where c.user_id = p_user;
    return;
  end if;
  if exists (select 1 from checkout.cart_item c where c.user_id = p_user and c.ticket_id = any(p_sold_out)) then
    return query select 'sold_out'::text, null::uuid, c.ticket_id, null::uuid, null::text, c.quantity, null::bigint, null::text
      from checkout.cart_item c where c.user_id = p_user and c.ticket_id = any(p_sold_out);
    return;
  end if;
  insert into checkout."order" (id, user_id, status, total_minor, currency, idempotency_key, created_at, updated_at)
  select p_order, p_user, 'PLACING', sum(c.quantity * c.unit_price_minor), min(c.currency), p_key, p_now, p_now
  from checkout.cart_item c where c.user_id = p_user
  on conflict (user_id, idempotency_key) do nothing;
  if not found then
    -- A concurrent call with this key recorded first.
    return query select 'existing'::text, o.id, null::uuid, null::uuid, null::text, null::int, null::bigint, null::text
      from checkout."order" o where o.user_id = p_user and o.idempotency_key = p_key;
    return;
  end if;
  insert into checkout.order_item (order_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
  select p_order, c.ticket_id, c.event_id, c.ticket_name, c.quantity, c.unit_price_minor, c.currency
  from checkout.cart_item c where c.user_id = p_user;
  return query
    delete from checkout.cart_item c where c.user_id = p_user
    returning 'placed'::text, p_order, c.ticket_id, c.event_id, c.ticket_name, c.quantity, c.unit_price_minor, c.currency::text;
end
$fn$`);
    this.addSql(`drop function checkout.record_order(uuid, text, text, bigint, text, timestamptz, uuid[], uuid[], text[], int[], bigint[], text[])`);
  }
}
