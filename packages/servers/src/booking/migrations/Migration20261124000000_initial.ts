import { Migration } from "@mikro-orm/migrations";

/** Stock with its integrity rules in the database, holds, and the outbox. */
export class Migration20261124000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table booking.stock (
      ticket_id uuid primary key,
      event_id uuid not null,
      total integer not null,
      held integer not null default 0,
      sold integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint stock_total_positive check (total > 0),
      constraint stock_held_non_negative check (held >= 0),
      constraint stock_sold_non_negative check (sold >= 0),
      constraint stock_within_total check (held + sold <= total)
    )`);
    this.addSql(`create index stock_event_id_index on booking.stock (event_id, ticket_id)`);
    this.addSql(`create table booking.booking (
      id uuid primary key,
      order_id uuid not null,
      ticket_id uuid not null,
      event_id uuid not null,
      quantity integer not null,
      status text not null,
      expires_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint booking_quantity_positive check (quantity > 0),
      constraint booking_status_known check (status in ('HELD', 'CONFIRMED', 'RELEASED', 'EXPIRED')),
      constraint booking_one_per_order_and_ticket unique (order_id, ticket_id)
    )`);
    this.addSql(`create index booking_due_index on booking.booking (expires_at) where status = 'HELD'`);
    this.addSql(`create index booking_created_index on booking.booking (created_at desc, id)`);
    // The outbox and processed-event tables, as they were created then (written out: a migration never calls live code).
    this.addSql(`create table booking.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`);
    this.addSql(`create index outbox_unpublished_idx on booking.outbox (id) where published_at is null`);
    this.addSql(`create table booking.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`);
  }
}
