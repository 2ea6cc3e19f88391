import { sql } from "kysely";
import { newestFirst, prepared, TYPED, type Em, type WireRow } from "../platform/db.js";
import type { NewNotification, NotificationRecord } from "./domain/delivery.js";
import type { NotificationEntity, NotificationTables } from "./entities.js";
import type { AttemptOutcome, NotificationFilter } from "./ports.js";

// Listing goes through Kysely typed from the entities. Storing, claiming and settling deliveries are hand-written
// statements (one round trip per batch; claiming with SKIP LOCKED so workers never deliver the same attempt).

const db = (em: Em) => em.getKysely<NotificationTables>(TYPED).withSchema("notification");

const fromWire = (r: WireRow<NotificationEntity, "notification">): NotificationRecord => ({
  id: r.id,
  sourceEventId: r.source_event_id,
  orderId: r.order_id,
  userId: r.user_id,
  orderEventType: r.order_event_type,
  channel: r.channel,
  deliveryStatus: r.delivery_status,
  attempts: r.attempts,
  lastError: r.last_error,
  subject: r.subject,
  body: r.body,
  payload: r.payload,
  createdAt: new Date(r.created_at),
  deliveredAt: r.delivered_at === null ? null : new Date(r.delivered_at),
});
const RECORD_COLUMNS = [
  "id", "sourceEventId", "orderId", "userId", "orderEventType", "channel", "deliveryStatus", "attempts", "lastError", "subject",
  "body", "payload", "createdAt", "deliveredAt",
] as const;

/**
 * Stores notifications, skipping any whose source event was stored before (Kafka delivers at least once), in one
 * statement. `delivered`: stored as delivered already (a channel that delivers at once). Returns the source event
 * ids this call stored.
 */
export async function insertNew(em: Em, all: readonly NewNotification[], delivered: boolean): Promise<Set<string>> {
  if (all.length === 0) return new Set();
  const rows = await prepared<{ source_event_id: string }>(
    em,
    sql`
      insert into notification.notification
        (id, source_event_id, order_id, user_id, order_event_type, channel, delivery_status, attempts, delivered_at,
         subject, body, payload)
      select id, source_event_id, order_id, user_id, order_event_type, channel,
             case when ${delivered} then 'DELIVERED' else 'PENDING' end, case when ${delivered} then 1 else 0 end,
             case when ${delivered} then now() end, subject, body, payload
      from unnest(${all.map((n) => n.id)}::uuid[], ${all.map((n) => n.sourceEventId)}::uuid[], ${all.map((n) => n.orderId)}::uuid[],
                  ${all.map((n) => n.userId)}::text[], ${all.map((n) => n.orderEventType)}::text[], ${all.map((n) => n.channel)}::text[],
                  ${all.map((n) => n.subject)}::text[], ${all.map((n) => n.body)}::text[], ${all.map((n) => Buffer.from(n.payload))}::bytea[])
        as n(id, source_event_id, order_id, user_id, order_event_type, channel, subject, body, payload)
      on conflict (source_event_id) do nothing returning source_event_id`,
  );
  return new Set(rows.map((r) => r.source_event_id));
}

/**
 * Claims up to `limit` due PENDING notifications for one delivery attempt each: counts the attempt and leases the
 * row for `leaseSeconds`, in one statement with SKIP LOCKED, so several workers never deliver the same attempt.
 */
export async function claimDue(em: Em, limit: number, leaseSeconds: number): Promise<NotificationRecord[]> {
  const rows = await prepared(em, sql<WireRow<NotificationEntity, "notification">>`
    update notification.notification n
    set attempts = n.attempts + 1, next_attempt_at = now() + make_interval(secs => ${leaseSeconds})
    where n.id in (
      select id from notification.notification
      where delivery_status = 'PENDING' and next_attempt_at <= now()
      order by next_attempt_at, id limit ${limit} for update skip locked
    )
    returning n.*`);
  return rows.map(fromWire).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Records the outcome of one delivery attempt each for a batch of notifications, and their delivery log, in one statement. */
export async function recordAttempts(em: Em, attempts: readonly AttemptOutcome[]): Promise<void> {
  if (attempts.length === 0) return;
  await prepared(em, sql`
    with o as (
      select * from unnest(${attempts.map((a) => a.notification.id)}::uuid[], ${attempts.map((a) => a.notification.attempts)}::int[],
                           ${attempts.map((a) => a.outcome)}::text[], ${attempts.map((a) => a.detail.slice(0, 2000))}::text[],
                           ${attempts.map((a) => a.retryInSeconds)}::float8[]) as o(id, attempt, outcome, detail, retry)
    ),
    updated as (
      update notification.notification n set
        delivery_status = case when o.outcome = 'RETRY' then 'PENDING' else o.outcome end,
        last_error = case when o.outcome = 'DELIVERED' then '' else o.detail end,
        delivered_at = case when o.outcome = 'DELIVERED' then now() else null end,
        next_attempt_at = now() + make_interval(secs => o.retry)
      from o where n.id = o.id
      returning n.id
    )
    insert into notification.delivery_attempt (notification_id, attempt, outcome, detail)
    select id, attempt, outcome, detail from o`);
}

/** The buyer the order's notifications are for, if it has any. */
export async function ownerOf(em: Em, orderId: string): Promise<string | undefined> {
  const row = await db(em).selectFrom("notification").select("userId").where("orderId", "=", orderId).limit(1).executeTakeFirst();
  return row?.userId;
}

/** Newest first after the (created_at, id) key, by order and/or user. */
export async function list(
  em: Em,
  filter: NotificationFilter,
  after: string[] | undefined,
  limit: number,
): Promise<NotificationRecord[]> {
  let query = db(em).selectFrom("notification").select(RECORD_COLUMNS);
  if (filter.orderId !== undefined) query = query.where("orderId", "=", filter.orderId);
  if (filter.userId !== undefined) query = query.where("userId", "=", filter.userId);
  return newestFirst(query, after, limit).execute();
}

