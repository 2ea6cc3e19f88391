import { Migration } from "@mikro-orm/migrations";
import { requestKeyDdl } from "../../platform/idempotency.js";
import { outboxDdl } from "../../platform/outbox-entities.js";

/**
 * One payment intent per order, the provider events already handled (deduplicated by the provider's id), and the
 * idempotency keys of the service's mutations.
 */
export class Migration20261126000000_initial extends Migration {
  override up(): void {
    this.addSql(`create table payment.payment_intent (
      id uuid primary key,
      order_id uuid not null,
      user_id text not null,
      amount_minor bigint not null,
      currency text not null,
      status text not null,
      provider text not null,
      provider_reference text not null,
      checkout_url text not null,
      status_reason text not null default '',
      refund_reference text not null default '',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint payment_intent_one_per_order unique (order_id),
      constraint payment_intent_reference_unique unique (provider_reference),
      constraint payment_intent_amount_positive check (amount_minor > 0),
      constraint payment_intent_status_known check (status in ('REQUIRES_PAYMENT', 'REQUIRES_ACTION', 'FAILED', 'SUCCEEDED', 'REFUNDED'))
    )`);
    this.addSql(`create table payment.webhook_event (
      provider text not null,
      event_id text not null,
      type text not null,
      received_at timestamptz not null default now(),
      primary key (provider, event_id)
    )`);
    for (const ddl of [...outboxDdl("payment"), ...requestKeyDdl("payment")]) this.addSql(ddl);
  }
}
