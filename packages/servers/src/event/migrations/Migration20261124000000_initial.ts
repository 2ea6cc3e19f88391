import { Migration } from "@mikro-orm/migrations";

/** Events and their ticket types; creation is idempotent per (creator, key). */
export class Migration20261124000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table event.event (
      id uuid primary key,
      name text not null,
      description text not null,
      venue_name text not null,
      venue_location text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      status text not null,
      created_by text not null,
      idempotency_key text not null,
      request_hash text not null,
      created_at timestamptz not null default now(),
      constraint event_status_known check (status in ('CREATING', 'ACTIVE')),
      constraint event_ends_after_start check (ends_at > starts_at),
      constraint event_idempotency unique (created_by, idempotency_key)
    )`);
    this.addSql(`create index event_listing_index on event.event (starts_at, id) where status = 'ACTIVE'`);
    this.addSql(`create table event.ticket_type (
      id uuid primary key,
      event_id uuid not null references event.event (id) on delete cascade,
      name text not null,
      price_minor bigint not null,
      currency char(3) not null,
      capacity integer not null,
      position integer not null,
      constraint ticket_type_price_non_negative check (price_minor >= 0),
      constraint ticket_type_capacity_positive check (capacity > 0),
      constraint ticket_type_name_unique unique (event_id, name)
    )`);
    this.addSql(`create index ticket_type_event_index on event.ticket_type (event_id, position)`);
    // The outbox and processed-event tables, as they were created then (written out: a migration never calls live code).
    this.addSql(`create table event.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`);
    this.addSql(`create index outbox_unpublished_idx on event.outbox (id) where published_at is null`);
    this.addSql(`create table event.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`);
  }
}
