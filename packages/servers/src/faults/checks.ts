// What must hold once a fault is over and the platform has had its (bounded) time to settle, read from the
// databases, from Kafka's own offsets and from PostgreSQL's statistics — never from the services' word about
// themselves. Each check is a named verdict; the suite fails on any verdict that is not ok.
import { Admin } from "@platformatic/kafka";
import type { TicketingClient } from "@ticketing/sdk";
import { CHECKOUT_GROUP } from "../checkout/events.js";
import { NOTIFICATION_GROUP } from "../notification/events.js";
import { TOPICS } from "../platform/bus.js";
import { deadLetterTopic } from "../platform/kafka-bus.js";
import { withAdmin, type Database } from "../bench/onsale-infra.js";

export interface Verdict {
  check: string;
  ok: boolean;
  detail: string;
}

const TERMINAL = ["PAID", "CANCELLED", "EXPIRED", "FAILED"];
/** The outbox tables, one per service schema. */
const SCHEMAS = ["event", "booking", "checkout", "notification"];

/** The orders of one scenario: those over the ticket types of the event it created. */
const SCENARIO_ORDERS = `select o.* from checkout."order" o
  where exists (select 1 from checkout.order_item i where i.order_id = o.id and i.event_id = $1::uuid)`;

export interface OrderFigures {
  orders: number;
  byStatus: Record<string, number>;
  /** Not terminal although older than TTL + grace, or terminal only after that long. */
  stuck: { id: string; status: string; ageS: number }[];
  newestCreatedAt: Date | undefined;
}

export async function orderFigures(db: Database, eventId: string, ttlSeconds: number, graceSeconds: number): Promise<OrderFigures> {
  const { rows } = await db.client.query<{ id: string; status: string; created_at: Date; updated_at: Date; now: Date }>(
    `select id, status, created_at, updated_at, now() as now from (${SCENARIO_ORDERS}) o`,
    [eventId],
  );
  const limitMs = (ttlSeconds + graceSeconds) * 1000;
  const byStatus: Record<string, number> = {};
  const stuck: OrderFigures["stuck"] = [];
  let newest: Date | undefined;
  for (const o of rows) {
    byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    if (!newest || o.created_at > newest) newest = o.created_at;
    const terminal = TERMINAL.includes(o.status);
    const settledAt = terminal ? o.updated_at : o.now;
    const age = settledAt.getTime() - o.created_at.getTime();
    if (age > limitMs) {
      stuck.push({ id: o.id, status: terminal ? `${o.status} (late)` : o.status, ageS: Math.round(age / 1000) });
    }
  }
  return { orders: rows.length, byStatus, stuck, newestCreatedAt: newest };
}

/** Unpublished outbox rows per schema. */
export async function outboxPending(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.client.query<Record<string, string>>(
    `select ${SCHEMAS.map((s) => `(select count(*) from ${s}.outbox where published_at is null) as ${s}`).join(", ")}`,
  );
  return Object.fromEntries(SCHEMAS.map((s) => [s, Number(rows[0]?.[s] ?? 0)]));
}

/** Order events published for the scenario's orders against the notifications stored for them. */
export async function notificationFigures(db: Database, eventId: string) {
  const { rows: events } = await db.client.query<{ event_id: string }>(
    `select event_id from checkout.outbox where topic = $2 and key::uuid in (select id from (${SCENARIO_ORDERS}) o)`,
    [eventId, TOPICS.orderEvents],
  );
  const { rows: stored } = await db.client.query<{ source_event_id: string }>(
    `select source_event_id from notification.notification where order_id in (select id from (${SCENARIO_ORDERS}) o)`,
    [eventId],
  );
  const published = new Set(events.map((e) => e.event_id));
  const seen = new Set(stored.map((s) => s.source_event_id));
  return {
    events: published.size,
    notifications: stored.length,
    duplicates: stored.length - seen.size,
    missing: [...published].filter((e) => !seen.has(e)).length,
    unexpected: [...seen].filter((e) => !published.has(e)).length,
  };
}

/** HELD bookings whose expiry passed more than `graceSeconds` ago: the sweeper (every second) should have had them. */
export async function overdueHolds(db: Database, graceSeconds: number): Promise<number> {
  const { rows } = await db.client.query<{ n: string }>(
    `select count(*) as n from booking.booking where status = 'HELD' and expires_at < now() - make_interval(secs => $1)`,
    [graceSeconds],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface Lag {
  /** Messages not yet committed, per consumer group. */
  byGroup: Record<string, number>;
  deadLetters: number;
  /** Messages on each topic (the sum of its partitions' end offsets). */
  published: Record<string, number>;
}

/**
 * Consumer lag from the broker: the groups' committed offsets against the topics' end offsets, partition by
 * partition (a partition never committed counts from 0), and the messages in the dead-letter topics. `namespace`:
 * the deployment's TICKETING_KAFKA_NAMESPACE; groups and topics are reported without it.
 */
export async function consumerLag(broker: string, namespace = ""): Promise<Lag> {
  const ns = (name: string) => `${namespace}${name}`;
  const admin = new Admin({ clientId: "faults-check", bootstrapBrokers: [broker], retries: 2, retryDelay: 250, timeout: 5000 });
  try {
    const pairs = [
      { group: ns(CHECKOUT_GROUP), topic: ns(TOPICS.bookingEvents) },
      { group: ns(NOTIFICATION_GROUP), topic: ns(TOPICS.orderEvents) },
    ];
    const topics = [...pairs.map((p) => p.topic), ...Object.values(TOPICS).map((t) => ns(deadLetterTopic(t)))];
    const metadata = await admin.metadata({ topics });
    const partitionsOf = (topic: string) => Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i);
    const ends = await admin.listOffsets({
      topics: topics.map((name) => ({ name, partitions: partitionsOf(name).map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
    });
    const end = new Map<string, bigint>();
    for (const t of ends) for (const p of t.partitions) end.set(`${t.name}/${p.partitionIndex}`, p.offset);
    const committed = await admin.listConsumerGroupOffsets({
      groups: pairs.map((p) => ({ groupId: p.group, topics: [{ name: p.topic, partitionIndexes: partitionsOf(p.topic) }] })),
    });
    const byGroup: Record<string, number> = {};
    for (const { group, topic } of pairs) {
      const offsets = committed.find((g) => g.groupId === group)?.topics.find((t) => t.name === topic)?.partitions ?? [];
      let lag = 0n;
      for (const partition of partitionsOf(topic)) {
        const at = offsets.find((p) => p.partitionIndex === partition)?.committedOffset ?? -1n;
        const last = end.get(`${topic}/${partition}`) ?? 0n;
        lag += last - (at < 0n ? 0n : at);
      }
      byGroup[group.slice(namespace.length)] = Number(lag);
    }
    let deadLetters = 0n;
    for (const topic of Object.values(TOPICS).map((t) => ns(deadLetterTopic(t)))) {
      for (const partition of partitionsOf(topic)) deadLetters += end.get(`${topic}/${partition}`) ?? 0n;
    }
    const published: Record<string, number> = {};
    for (const { topic } of pairs) {
      published[topic.slice(namespace.length)] = Number(partitionsOf(topic).reduce((sum, p) => sum + (end.get(`${topic}/${p}`) ?? 0n), 0n));
    }
    return { byGroup, deadLetters: Number(deadLetters), published };
  } finally {
    await admin.close().catch(() => undefined);
  }
}

export interface StockRow {
  ticketId: string;
  total: number;
  held: number;
  sold: number;
  /** As GetStocks reports it. */
  available: number;
  /** Units of HELD bookings, from booking's table. */
  liveHeld: number;
  /** Units in PAID orders, from checkout's table. */
  paidUnits: number;
}

/** Each ticket type's stock as booking's rows and GetStocks say, beside what the bookings and orders add up to. */
export async function stockRows(db: Database, admin: TicketingClient, eventId: string): Promise<StockRow[]> {
  const { rows } = await db.client.query<{ ticket_id: string; total: string; held: string; sold: string; live_held: string; paid_units: string }>(
    `select s.ticket_id, s.total, s.held, s.sold,
            (select coalesce(sum(quantity), 0) from booking.booking b where b.ticket_id = s.ticket_id and b.status = 'HELD') as live_held,
            (select coalesce(sum(i.quantity), 0) from checkout.order_item i join checkout."order" o on o.id = i.order_id
              where i.ticket_id = s.ticket_id and o.status = 'PAID') as paid_units
     from (select ticket_id, sum(total) as total, sum(held) as held, sum(sold) as sold
           from booking.stock where event_id = $1::uuid group by ticket_id) s
     order by s.ticket_id`,
    [eventId],
  );
  const { stocks } = await admin.bookings.getStocks({ eventId, pageSize: 500 });
  return rows.map((r) => ({
    ticketId: r.ticket_id,
    total: Number(r.total),
    held: Number(r.held),
    sold: Number(r.sold),
    available: stocks.find((s) => s.ticketId === r.ticket_id)?.available ?? Number.NaN,
    liveHeld: Number(r.live_held),
    paidUnits: Number(r.paid_units),
  }));
}

/** Stock rows (of any event) outside 0 ≤ held, sold and held + sold ≤ total, right now. */
export async function stockOutOfBounds(db: Database): Promise<string[]> {
  const { rows } = await db.client.query<{ ticket_id: string; bucket: number; total: number; held: number; sold: number }>(
    "select ticket_id, bucket, total, held, sold from booking.stock where held < 0 or sold < 0 or held + sold > total",
  );
  return rows.map((r) => `${r.ticket_id.slice(0, 8)}/${r.bucket}: held ${r.held} + sold ${r.sold} > total ${r.total}`);
}

/** The stock invariants, one verdict per ticket type that breaks one (or one verdict saying all hold). */
export function stockVerdicts(rows: readonly StockRow[]): Verdict[] {
  const broken: string[] = [];
  for (const s of rows) {
    const id = s.ticketId.slice(0, 8);
    if (s.total !== s.available + s.held + s.sold) broken.push(`${id}: total ${s.total} ≠ available ${s.available} + held ${s.held} + sold ${s.sold}`);
    if (s.sold !== s.paidUnits) broken.push(`${id}: sold ${s.sold} ≠ ${s.paidUnits} units in PAID orders`);
    if (s.held !== s.liveHeld) broken.push(`${id}: held ${s.held} ≠ ${s.liveHeld} units in HELD bookings`);
    if (s.held + s.sold > s.total || s.held < 0 || s.sold < 0) broken.push(`${id}: held ${s.held} + sold ${s.sold} outside 0..${s.total}`);
  }
  if (rows.length === 0) broken.push("no stock rows for the scenario's event");
  return [{ check: "stock invariants", ok: broken.length === 0, detail: broken.length === 0 ? `${rows.length} ticket types: total = available + held + sold, sold = PAID units, held = HELD units` : broken.join("; ") }];
}

export interface Expiry {
  /** When the order was placed (epoch ms). */
  createdAt: number;
  /** When the order's holds ran out (epoch ms). */
  dueAt: number;
  /** Seconds from then until the order was EXPIRED. */
  lateS: number;
}

/** EXPIRED orders: when the order turned EXPIRED against when its holds ran out. */
export async function expiries(db: Database, eventId: string): Promise<Expiry[]> {
  const { rows } = await db.client.query<{ created_at: Date; due_at: Date; late: number }>(
    `select o.created_at, b.expires_at as due_at, extract(epoch from o.updated_at - b.expires_at)::float8 as late
     from (${SCENARIO_ORDERS}) o
     join (select order_id, max(expires_at) as expires_at from booking.booking group by order_id) b on b.order_id = o.id
     where o.status = 'EXPIRED'`,
    [eventId],
  );
  return rows.map((r) => ({ createdAt: r.created_at.getTime(), dueAt: r.due_at.getTime(), lateS: r.late }));
}

/** Statuses of the given orders, to compare with what the buyers were told. */
export async function statusesOf(db: Database, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.client.query<{ id: string; status: string }>(`select id, status from checkout."order" where id = any($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r.status]));
}

/** PostgreSQL's deadlock counter for the database (published by backends as they end or go idle). */
export async function deadlocks(db: Database): Promise<number> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ deadlocks: string }>("select deadlocks from pg_stat_database where datname = $1", [db.name]);
    return Number(rows[0]?.deadlocks ?? 0);
  });
}

export function median(sorted: readonly number[]): number | undefined {
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
