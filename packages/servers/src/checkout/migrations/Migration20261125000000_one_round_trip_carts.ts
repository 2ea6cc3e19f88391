import { Migration } from "@mikro-orm/migrations";

/**
 * Carts and order placement in one round trip each, correct under concurrency.
 *
 * `checkout.change_cart` applies AddToCart / UpdateCart: claims the idempotency key, serialises changes to one
 * user's cart with a transaction-scoped advisory lock (so the line limit and the one-currency rule hold however
 * many calls race), and returns the cart. A refusal raises a TKxxx SQLSTATE, which rolls the claim back too.
 *
 * `checkout.record_order` records a PLACING order and takes exactly its quantities out of the cart in the same
 * transaction, under the same lock: two PlaceOrder calls can never both take one cart line, and tickets added
 * to the cart while an order is being placed stay in the cart. A failed placement puts its quantities back.
 *
 * `failure_kind` stores why a placement failed as data, so a retry's gRPC code never depends on message text.
 */
export class Migration20261125000000_one_round_trip_carts extends Migration {
  override up(): void {
    this.addSql(`alter table checkout."order" add column failure_kind text null`);
    this.addSql(`update checkout."order" set failure_kind = case
        when status_reason like 'not enough tickets%' then 'ResourceExhausted'
        when status_reason like '%service unavailable%' then 'Unavailable'
        else 'FailedPrecondition' end
      where status = 'FAILED'`);
    this.addSql(`alter table checkout."order" add constraint order_failure_kind_known
      check (failure_kind is null or failure_kind in ('ResourceExhausted', 'Unavailable', 'FailedPrecondition', 'NotFound'))`);

    this.addSql(`
create function checkout.change_cart(
  p_user text, p_operation text, p_key text,
  p_ticket uuid, p_event uuid, p_name text, p_quantity int, p_price bigint, p_currency text,
  p_set boolean,          -- UpdateCart sets the quantity (0 removes the line); AddToCart adds to it
  p_max_lines int, p_max_quantity int, p_now timestamptz
) returns setof checkout.cart_item
language plpgsql as $fn$
begin
  insert into checkout.idempotent_request (user_id, operation, key) values (p_user, p_operation, p_key)
  on conflict do nothing;
  if found then
    perform pg_advisory_xact_lock(hashtextextended('ticketing.checkout.cart:' || p_user, 0));
    if p_set and p_quantity = 0 then
      delete from checkout.cart_item c where c.user_id = p_user and c.ticket_id = p_ticket;
    else
      if exists (select 1 from checkout.cart_item c where c.user_id = p_user and c.ticket_id <> p_ticket and c.currency <> p_currency) then
        raise exception using errcode = 'TKCUR', message = 'the cart is in another currency';
      end if;
      if not exists (select 1 from checkout.cart_item c where c.user_id = p_user and c.ticket_id = p_ticket)
         and (select count(*) from checkout.cart_item c where c.user_id = p_user) >= p_max_lines then
        raise exception using errcode = 'TKLIN', message = 'the cart has the most lines it may have';
      end if;
      insert into checkout.cart_item as c (user_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency, added_at, updated_at)
      values (p_user, p_ticket, p_event, p_name, p_quantity, p_price, p_currency, p_now, p_now)
      on conflict (user_id, ticket_id) do update
        set quantity = case when p_set then excluded.quantity else c.quantity + excluded.quantity end,
            ticket_name = excluded.ticket_name, unit_price_minor = excluded.unit_price_minor, updated_at = p_now
        where p_set or c.quantity + excluded.quantity <= p_max_quantity;
      if not found then
        raise exception using errcode = 'TKQTY', message = 'the cart line would hold too many tickets';
      end if;
    end if;
  end if;
  return query select * from checkout.cart_item c where c.user_id = p_user order by c.added_at, c.ticket_id;
end
$fn$`);

    this.addSql(`
create function checkout.record_order(
  p_order uuid, p_user text, p_key text, p_total bigint, p_currency text, p_now timestamptz,
  p_tickets uuid[], p_events uuid[], p_names text[], p_quantities int[], p_prices bigint[], p_currencies text[]
) returns void
language plpgsql as $fn$
declare
  n constant int := coalesce(array_length(p_tickets, 1), 0);
  taken int;
begin
  perform pg_advisory_xact_lock(hashtextextended('ticketing.checkout.cart:' || p_user, 0));
  insert into checkout."order" (id, user_id, status, total_minor, currency, idempotency_key, created_at, updated_at)
  values (p_order, p_user, 'PLACING', p_total, p_currency, p_key, p_now, p_now)
  on conflict (user_id, idempotency_key) do nothing;
  if not found then
    raise exception using errcode = 'TKKEY', message = 'an order with this idempotency key exists';
  end if;
  with lines as (select * from unnest(p_tickets, p_quantities) as l(ticket_id, quantity)),
  reduced as (
    update checkout.cart_item c set quantity = c.quantity - l.quantity, updated_at = p_now
    from lines l where c.user_id = p_user and c.ticket_id = l.ticket_id and c.quantity > l.quantity
    returning 1
  ),
  emptied as (
    delete from checkout.cart_item c using lines l
    where c.user_id = p_user and c.ticket_id = l.ticket_id and c.quantity = l.quantity
    returning 1
  )
  select (select count(*) from reduced) + (select count(*) from emptied) into taken;
  if taken <> n then
    raise exception using errcode = 'TKCHG', message = 'the cart changed while the order was being placed';
  end if;
  insert into checkout.order_item (order_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
  select p_order, * from unnest(p_tickets, p_events, p_names, p_quantities, p_prices, p_currencies);
end
$fn$`);
  }
}
