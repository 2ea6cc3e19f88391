import { sql } from "kysely";
import { AsyncResource } from "node:async_hooks";
import type { Bus, BusMessage } from "./bus.js";
import type { Em, Orm } from "./db.js";
import type { Logger } from "./logger.js";
import { currentTraceContext } from "./trace-state.js";

/**
 * Transactional outbox. `enqueue` writes events in the caller's transaction, so an event exists exactly when the
 * change it describes committed. The relay publishes committed rows in id order and marks them published.
 * Each service schema has its own `outbox` table (see the services' migrations).
 */
export async function enqueue(tx: Em, schema: string, messages: readonly BusMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await sql`
    insert into ${sql.table(`${schema}.outbox`)} (event_id, topic, key, type, payload, trace_context)
    select * from unnest(
      ${messages.map((m) => m.eventId)}::uuid[], ${messages.map((m) => m.topic)}::text[],
      ${messages.map((m) => m.key)}::text[], ${messages.map((m) => m.type)}::text[],
      ${messages.map((m) => Buffer.from(m.value))}::bytea[], ${messages.map((m) => m.traceContext ?? currentTraceContext() ?? null)}::text[]
    )`.execute(tx.getKysely());
}

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  key: string;
  type: string;
  payload: Buffer;
  trace_context: string | null;
}

export interface RelayOptions {
  schema: string;
  bus: Bus;
  logger: Logger;
  batchSize?: number;
  /** How often to look for rows when nobody called `wake()`. */
  pollMs?: number;
  /** Told how many events a pass published, once their marks committed. */
  onPublished?: (count: number) => void;
}

/**
 * Publishes outbox rows. A batch is read, published, then marked published in one transaction; a crash between
 * publish and commit publishes the batch again (at least once), which consumers absorb by event id. Several relays
 * (replicas) may run; a transaction-scoped advisory lock lets one of them publish a schema's rows at a time, so
 * events leave in commit (id) order.
 */
export class OutboxRelay {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Another relay (a replica) held the publisher lock at the last pass: it publishes this schema's rows too. */
  #follower = false;
  readonly #batchSize: number;
  readonly #pollMs: number;

  constructor(
    readonly orm: Orm,
    readonly options: RelayOptions,
  ) {
    this.#batchSize = options.batchSize ?? 1000;
    this.#pollMs = options.pollMs ?? 250;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Asks for a pass now (after a commit that wrote events). While another relay is the publisher, a pass here would
   * only find its lock taken, so the short follower poll is left to pick the rows up instead.
   */
  wake(): void {
    if (this.#stopped || this.#follower) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  /** Publishes what is left, then stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#drain().catch(() => undefined);
  }

  /** Unpublished rows and the age of the oldest, in seconds. */
  async lag(): Promise<{ pending: number; oldestSeconds: number }> {
    const { rows } = await sql<{ pending: string; oldest: number | null }>`
      select count(*) as pending, extract(epoch from now() - min(created_at))::float8 as oldest
      from ${sql.table(`${this.options.schema}.outbox`)} where published_at is null`.execute(this.orm.em.fork().getKysely());
    return { pending: Number(rows[0]?.pending ?? 0), oldestSeconds: rows[0]?.oldest ?? 0 };
  }

  /**
   * A pass runs in the async context the relay was made in, not in that of whoever woke it: a request's trace (or
   * transaction) must not take in the publication of other requests' events.
   */
  readonly #tick = AsyncResource.bind(() => {
    this.#running = this.#drain()
        .catch((err: unknown) => this.options.logger.error({ err, schema: this.options.schema }, "outbox relay pass failed"))
        .finally(() => {
          this.#running = undefined;
          if (this.#stopped) return;
          const again = this.#again;
          this.#again = false;
          this.#schedule(this.#follower ? FOLLOWER_POLL_MS : again ? 0 : this.#pollMs);
        });
  });

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#tick, ms);
    this.#timer.unref();
  }

  /** Publishes until nothing is left. */
  async #drain(): Promise<void> {
    for (;;) {
      const published = await this.#pass();
      if (published > 0) this.options.onPublished?.(published);
      // a full pass: there may be more
      if (published !== this.#batchSize * BATCHES_PER_PASS) return;
    }
  }

  /**
   * One transaction that publishes up to BATCHES_PER_PASS batches. One batch is in flight to the bus at a time, so
   * events leave in id order; the database work around it overlaps the bus's acknowledgement: the next batch is
   * read, and the previous one marked, while the current one is being published. A crash mid-pass rolls the marks
   * back and the next pass publishes those rows again (at least once).
   */
  async #pass(): Promise<number> {
    const table = sql.table(`${this.options.schema}.outbox`);
    return this.orm.em.fork().transactional(async (tx) => {
      const db = tx.getKysely();
      // One publisher per schema at a time keeps each order's events in commit order across relays; a relay
      // that finds the lock taken skips this pass (the other one is publishing). The lock is also why the rows
      // need no FOR UPDATE: only its holder reads or marks them.
      const { rows: lock } = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(hashtext(${`ticketing.outbox.${this.options.schema}`})) as locked`.execute(db);
      this.#follower = !lock[0]?.locked;
      if (this.#follower) return 0;
      const read = (after: string) =>
        settled(
          sql<OutboxRow>`
            select id, event_id, topic, key, type, payload, trace_context from ${table}
            where published_at is null and id > ${after}::bigint order by id limit ${this.#batchSize}`.execute(db),
        );
      let published = 0;
      let marking: Promise<unknown> = Promise.resolve();
      let next = read("0");
      for (let batch = 0; batch < BATCHES_PER_PASS; batch++) {
        const { rows } = await next;
        if (rows.length === 0) break;
        const full = rows.length === this.#batchSize;
        if (full) next = read((rows[rows.length - 1] as OutboxRow).id);
        await this.options.bus.publish(
          rows.map((r) => ({
            topic: r.topic,
            key: r.key,
            type: r.type,
            eventId: r.event_id,
            value: new Uint8Array(r.payload),
            ...(r.trace_context ? { traceContext: r.trace_context } : {}),
          })),
        );
        await marking;
        marking = settled(sql`update ${table} set published_at = now() where id = any(${rows.map((r) => r.id)}::bigint[])`.execute(db));
        published += rows.length;
        if (!full) break;
      }
      await marking;
      return published;
    });
  }
}

/** How often a relay looks again while another one holds the publisher lock (its own commits do not wake it). */
const FOLLOWER_POLL_MS = 50;

/** Batches one relay pass publishes before it commits what it marked. */
const BATCHES_PER_PASS = 10;

/** A promise whose rejection is handled even if nobody awaits it (the pass may end before it is needed). */
function settled<T>(work: Promise<T>): Promise<T> {
  work.catch(() => undefined);
  return work;
}

/**
 * Consumer-side deduplication: records the event id in the service's `processed_event` table inside the handler's
 * transaction. Returns false when the event was handled before (a redelivery), so the caller skips it.
 */
export async function markProcessed(tx: Em, schema: string, eventId: string): Promise<boolean> {
  const { rows } = await sql<{ event_id: string }>`
    insert into ${sql.table(`${schema}.processed_event`)} (event_id) values (${eventId}::uuid)
    on conflict do nothing returning event_id`.execute(tx.getKysely());
  return rows.length === 1;
}
