import { Migration } from "@mikro-orm/migrations";

/** One notification per order event (unique source event), its delivery state and its delivery log. */
export class Migration20261124000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table notification.notification (
      id uuid primary key,
      source_event_id uuid not null,
      order_id uuid not null,
      user_id text not null,
      order_event_type text not null,
      channel text not null,
      delivery_status text not null,
      attempts integer not null default 0,
      last_error text not null default '',
      subject text not null,
      body text not null,
      payload bytea not null,
      next_attempt_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      delivered_at timestamptz null,
      constraint notification_one_per_event unique (source_event_id),
      constraint notification_channel_known check (channel in ('LOG', 'WEBHOOK', 'EMAIL')),
      constraint notification_status_known check (delivery_status in ('PENDING', 'DELIVERED', 'FAILED')),
      constraint notification_attempts_non_negative check (attempts >= 0)
    )`);
    this.addSql(`create index notification_order_index on notification.notification (order_id, created_at desc, id desc)`);
    this.addSql(`create index notification_user_index on notification.notification (user_id, created_at desc, id desc)`);
    this.addSql(`create index notification_due_index on notification.notification (next_attempt_at) where delivery_status = 'PENDING'`);
    this.addSql(`create table notification.delivery_attempt (
      id bigserial primary key,
      notification_id uuid not null references notification.notification (id) on delete cascade,
      attempt integer not null,
      at timestamptz not null default now(),
      outcome text not null,
      detail text not null
    )`);
    this.addSql(`create index delivery_attempt_notification_index on notification.delivery_attempt (notification_id, attempt)`);
    // The outbox and processed-event tables, as they were created then (written out: a migration never calls live code).
    this.addSql(`create table notification.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`);
    this.addSql(`create index outbox_unpublished_idx on notification.outbox (id) where published_at is null`);
    this.addSql(`create table notification.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`);
  }
}
