import { sql, type Kysely } from "kysely";
import type { Em } from "../platform/db.js";
import { fromStates, type PaymentSnapshot, type PaymentStatus } from "./domain/payment.js";

type Db = Kysely<unknown>;
const db = (em: Em): Db => em.getKysely() as unknown as Db;

interface Row {
  id: string;
  order_id: string;
  user_id: string;
  amount_minor: string;
  currency: string;
  status: PaymentStatus;
  provider: string;
  provider_reference: string;
  checkout_url: string;
  status_reason: string;
  refund_reference: string;
  created_at: Date | string;
  updated_at: Date | string;
}

const toPayment = (r: Row): PaymentSnapshot => ({
  id: r.id,
  orderId: r.order_id,
  userId: r.user_id,
  amountMinor: BigInt(r.amount_minor),
  currency: r.currency,
  status: r.status,
  provider: r.provider,
  providerReference: r.provider_reference,
  checkoutUrl: r.checkout_url,
  statusReason: r.status_reason,
  refundReference: r.refund_reference,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

export async function byOrder(em: Em, orderId: string): Promise<PaymentSnapshot | undefined> {
  const { rows } = await sql<Row>`select * from payment.payment_intent where order_id = ${orderId}::uuid`.execute(db(em));
  return rows[0] && toPayment(rows[0]);
}

export async function byReference(em: Em, provider: string, reference: string): Promise<PaymentSnapshot | undefined> {
  const { rows } = await sql<Row>`
    select * from payment.payment_intent where provider = ${provider} and provider_reference = ${reference}`.execute(db(em));
  return rows[0] && toPayment(rows[0]);
}

/** Inserts the order's intent unless it has one already; returns the one it has now. */
export async function insertOnce(em: Em, p: PaymentSnapshot): Promise<PaymentSnapshot> {
  await sql`
    insert into payment.payment_intent
      (id, order_id, user_id, amount_minor, currency, status, provider, provider_reference, checkout_url, created_at, updated_at)
    values (${p.id}::uuid, ${p.orderId}::uuid, ${p.userId}, ${p.amountMinor.toString()}::bigint, ${p.currency}, ${p.status},
            ${p.provider}, ${p.providerReference}, ${p.checkoutUrl}, ${p.createdAt}, ${p.updatedAt})
    on conflict (order_id) do nothing`.execute(db(em));
  return (await byOrder(em, p.orderId)) as PaymentSnapshot;
}

/** Moves the intent to `to` if the state machine allows it from where it is; undefined if it does not (nothing changes). */
export async function transition(
  em: Em,
  id: string,
  to: PaymentStatus,
  changes: { statusReason?: string; refundReference?: string } = {},
): Promise<PaymentSnapshot | undefined> {
  const { rows } = await sql<Row>`
    update payment.payment_intent
    set status = ${to}, updated_at = now(),
        status_reason = coalesce(${changes.statusReason ?? null}::text, status_reason),
        refund_reference = coalesce(${changes.refundReference ?? null}::text, refund_reference)
    where id = ${id}::uuid and status = any(${fromStates(to)}::text[])
    returning *`.execute(db(em));
  return rows[0] && toPayment(rows[0]);
}

/** Records a provider event as handled; false if it was handled before (a redelivery). */
export async function markEventHandled(em: Em, provider: string, eventId: string, type: string): Promise<boolean> {
  const { rows } = await sql<{ event_id: string }>`
    insert into payment.webhook_event (provider, event_id, type) values (${provider}, ${eventId}, ${type})
    on conflict do nothing returning event_id`.execute(db(em));
  return rows.length === 1;
}

export async function eventHandled(em: Em, provider: string, eventId: string): Promise<boolean> {
  const { rows } = await sql`select 1 from payment.webhook_event where provider = ${provider} and event_id = ${eventId}`.execute(db(em));
  return rows.length > 0;
}
