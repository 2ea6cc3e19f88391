import { Migration } from '@mikro-orm/migrations';

export class Migration20261207161613_initial extends Migration {

  override name = 'Migration20261207161613_initial';

  override up(): void | Promise<void> {
    this.addSql(`create schema if not exists "payment";`);
    this.addSql(`create table "payment"."outbox" ("id" bigserial primary key, "event_id" uuid not null, "topic" text not null, "key" text not null, "type" text not null, "payload" bytea not null, "trace_context" text null, "created_at" timestamptz not null default now(), "published_at" timestamptz null);`);
    this.addSql(`create index "outbox_unpublished_idx" on "payment"."outbox" ("id") where published_at is null;`);

    this.addSql(`create table "payment"."payment_intent" ("id" uuid not null, "order_id" uuid not null, "user_id" text not null, "amount_minor" bigint not null, "currency" text not null, "status" text not null, "provider" text not null, "provider_reference" text not null, "checkout_url" text not null, "status_reason" text not null default '', "refund_reference" text not null default '', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "payment"."payment_intent" add constraint "payment_intent_order_id_unique" unique ("order_id");`);
    this.addSql(`alter table "payment"."payment_intent" add constraint "payment_intent_provider_reference_unique" unique ("provider_reference");`);

    this.addSql(`create table "payment"."processed_event" ("event_id" uuid not null, "processed_at" timestamptz not null default now(), primary key ("event_id"));`);

    this.addSql(`create table "payment"."request_key" ("caller" text not null, "method" text not null, "key" text not null, "request_hash" text not null, "created_at" timestamptz not null default now(), primary key ("caller", "method", "key"));`);

    this.addSql(`create table "payment"."webhook_event" ("provider" text not null, "event_id" text not null, "type" text not null, "received_at" timestamptz not null default now(), primary key ("provider", "event_id"));`);
  }
}
