import { Migration } from "@mikro-orm/migrations";

/**
 * Issued tickets with their one admission and their revocation, the key codes are signed with when none is
 * configured, and the outbox. One ticket per (order, number): a paid order issues its tickets once, however often
 * its event arrives. Revocations are numbered from a sequence so scanners can sync "everything since version N".
 */
export class Migration20261201000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table admission.ticket (
      id uuid primary key,
      order_id uuid not null,
      user_id text not null,
      event_id uuid not null,
      ticket_type_id uuid not null,
      ticket_type_name text not null,
      number integer not null,
      source_event_id uuid not null,
      issued_at timestamptz not null default now(),
      revoked_at timestamptz null,
      revocation_reason text not null default '',
      revocation_version bigint null,
      checked_in_at timestamptz null,
      checked_in_gate text null,
      check_in_scan_id text null,
      check_in_offline boolean not null default false,
      check_in_recorded_at timestamptz null,
      constraint ticket_one_per_unit unique (order_id, number),
      constraint ticket_revocation_version_unique unique (revocation_version),
      constraint ticket_number_positive check (number > 0),
      constraint ticket_revocation_complete check ((revoked_at is null) = (revocation_version is null)),
      constraint ticket_check_in_complete check ((checked_in_at is null) = (checked_in_gate is null))
    )`);
    this.addSql(`create sequence admission.revocation_version`);
    this.addSql(`create index ticket_user_index on admission.ticket (user_id, issued_at desc, id desc)`);
    this.addSql(`create index ticket_issued_index on admission.ticket (issued_at desc, id desc)`);
    this.addSql(`create index ticket_check_in_index on admission.ticket (event_id, check_in_recorded_at desc, id desc) where checked_in_at is not null`);
    this.addSql(`create table admission.signing_key (
      key_id text primary key,
      private_key text not null,
      created_at timestamptz not null default now()
    )`);
    // The outbox and processed-event tables, as they were created then (written out: a migration never calls live code).
    this.addSql(`create table admission.outbox (
      id bigserial primary key,
      event_id uuid not null unique,
      topic text not null,
      key text not null,
      type text not null,
      payload bytea not null,
      created_at timestamptz not null default now(),
      published_at timestamptz null
    )`);
    this.addSql(`create index outbox_unpublished_idx on admission.outbox (id) where published_at is null`);
    this.addSql(`create table admission.processed_event (
      event_id uuid primary key,
      processed_at timestamptz not null default now()
    )`);
    this.addSql(`alter table admission.outbox drop constraint outbox_event_id_key`);
  }
}
