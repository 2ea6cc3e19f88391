import { Migration } from "@mikro-orm/migrations";

/** Carts, orders with their item snapshots, idempotency records, and the outbox. */
export class Migration20261124000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table checkout.cart_item (
      user_id text not null,
      ticket_id uuid not null,
      event_id uuid not null,
      ticket_name text not null,
      quantity integer not null,
      unit_price_minor bigint not null,
      currency char(3) not null,
      added_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (user_id, ticket_id),
      constraint cart_item_quantity_range check (quantity between 1 and 100),
      constraint cart_item_price_non_negative check (unit_price_minor >= 0)
    )`);
    this.addSql(`create table checkout."order" (
      id uuid primary key,
      user_id text not null,
      status text not null,
      total_minor bigint not null,
      currency char(3) not null,
      expires_at timestamptz null,
      status_reason text not null default '',
      payment_reference text not null default '',
      idempotency_key text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint order_status_known check (status in ('PLACING', 'PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'FAILED')),
      constraint order_total_non_negative check (total_minor >= 0),
      constraint order_idempotency unique (user_id, idempotency_key)
    )`);
    this.addSql(`create index order_user_listing_index on checkout."order" (user_id, created_at desc, id desc)`);
    this.addSql(`create index order_listing_index on checkout."order" (created_at desc, id desc)`);
    this.addSql(`create index order_placing_index on checkout."order" (updated_at) where status = 'PLACING'`);
    this.addSql(`create table checkout.order_item (
      order_id uuid not null references checkout."order" (id) on delete cascade,
      ticket_id uuid not null,
      event_id uuid not null,
      ticket_name text not null,
      quantity integer not null,
      unit_price_minor bigint not null,
      currency char(3) not null,
      primary key (order_id, ticket_id),
      constraint order_item_quantity_positive check (quantity > 0),
      constraint order_item_price_non_negative check (unit_price_minor >= 0)
    )`);
    this.addSql(`create table checkout.idempotent_request (
      user_id text not null,
      operation text not null,
      key text not null,
      created_at timestamptz not null default now(),
      primary key (user_id, operation, key)
    )`);
    // The outbox and processed-event tables, as they were created then (written out: a migration never calls live code).
    this.addSql(`create table checkout.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`);
    this.addSql(`create index outbox_unpublished_idx on checkout.outbox (id) where published_at is null`);
    this.addSql(`create table checkout.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`);
  }
}
