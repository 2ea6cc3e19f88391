import { AsyncResource } from "node:async_hooks";
import type { Logger } from "./logger.js";

/** Versioned topics. Keys are order ids, so one order's events stay in order. */
export const TOPICS = {
  orderEvents: "ticketing.checkout.order-events.v1",
  bookingEvents: "ticketing.booking.booking-events.v1",
  ticketEvents: "ticketing.admission.ticket-events.v1",
} as const;

/** One event on the bus: a protobuf payload with its type, id and partition key. */
export interface BusMessage {
  topic: string;
  /** Partition key: the order id. */
  key: string;
  /** Event type name, sent as the `event-type` header, for example "ORDER_EVENT_TYPE_PAID". */
  type: string;
  /** Unique id of the event; consumers deduplicate on it. */
  eventId: string;
  /** Serialized protobuf message. */
  value: Uint8Array;
  /** W3C traceparent of the span that wrote the event, when tracing is on: consumers continue its trace. */
  traceContext?: string;
  /** Every header as received (consumers only): `error` and `attempts` on dead letters, for example. */
  headers?: Record<string, string>;
}

export interface Subscription {
  close(): Promise<void>;
  /** Messages of the partitions this subscription reads that its group has not consumed yet (for metrics). */
  lag?(): Promise<PartitionLag[]>;
  /** The consumer group it reads in. */
  readonly group?: string;
}

/** Lag of one partition a subscription reads: messages published and not yet committed by its group. */
export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface SubscribeOptions {
  topic: string;
  /** Consumer group: each group sees every message once (at least once). */
  group: string;
  /** Handles one message. Throwing means "not handled": the message is retried, then dead-lettered. */
  handle: (message: BusMessage) => Promise<void>;
  /**
   * Handles the messages that arrived together, in order, in one go (one transaction for all of them, say). If it
   * throws, each message of the batch goes through `handle` instead, with the usual retries and dead-lettering.
   */
  handleBatch?: (messages: readonly BusMessage[]) => Promise<void>;
  /**
   * Told when the subscription stops receiving (its broker went away) and when it receives again. A subscription
   * reconnects by itself; this is for readiness.
   */
  onStateChange?: (receiving: boolean) => void;
}

/**
 * The asynchronous messaging the services rely on. Delivery is at least once: handlers must be idempotent. The
 * embedded mode uses InProcessBus; with brokers configured, the Kafka implementation stands behind the same interface.
 */
export interface Bus {
  /** Publishes a batch; resolves once the bus has accepted every message. */
  publish(messages: readonly BusMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

/**
 * A bus inside one process (the all-in-one mode without Kafka). Each subscription gets its own queue, worked in
 * publish order; a failing message is retried with backoff and, after `maxAttempts`, dead-lettered (kept in
 * `deadLetters` and logged) so one bad message cannot stop the rest.
 */
export class InProcessBus implements Bus {
  readonly deadLetters: { message: BusMessage; group: string; error: string }[] = [];
  readonly #subscriptions = new Map<string, Set<Queue>>();
  readonly #logger: Logger;
  readonly #maxAttempts: number;

  constructor(logger: Logger, maxAttempts = 5) {
    this.#logger = logger;
    this.#maxAttempts = maxAttempts;
  }

  async publish(messages: readonly BusMessage[]): Promise<void> {
    for (const message of messages) {
      for (const queue of this.#subscriptions.get(message.topic) ?? []) queue.push(message);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const queue = new Queue(options, this.#maxAttempts, this.#logger, (message, error) =>
      this.deadLetters.push({ message, group: options.group, error }),
    );
    let set = this.#subscriptions.get(options.topic);
    if (!set) this.#subscriptions.set(options.topic, (set = new Set()));
    set.add(queue);
    return {
      close: async () => {
        set.delete(queue);
        await queue.close();
      },
      // One queue stands for the topic's one partition here.
      lag: async () => [{ topic: options.topic, partition: 0, lag: queue.length }],
      group: options.group,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions.values()].flatMap((set) => [...set].map((q) => q.close())));
    this.#subscriptions.clear();
  }
}

class Queue {
  readonly #items: BusMessage[] = [];
  #running: Promise<void> | undefined;
  #closed = false;
  /**
   * Drains in the async context the subscription was made in, not the publisher's: a handler must never find
   * itself inside the publishing relay's database transaction (MikroORM looks transactions up by async context).
   */
  readonly #drainDetached = AsyncResource.bind(() => this.#drain());

  constructor(
    readonly options: SubscribeOptions,
    readonly maxAttempts: number,
    readonly logger: Logger,
    readonly deadLetter: (message: BusMessage, error: string) => void,
  ) {}

  get length(): number {
    return this.#items.length;
  }

  push(message: BusMessage): void {
    if (this.#closed) return;
    this.#items.push(message);
    this.#kick();
  }

  #kick(): void {
    this.#running ??= this.#drainDetached().finally(() => {
      this.#running = undefined;
      // A message pushed after the drain loop's last look but before this runs would otherwise wait for the next
      // push, which may never come.
      if (this.#items.length > 0 && !this.#closed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#items.length > 0 && !this.#closed) {
      if (this.options.handleBatch && this.#items.length > 1) {
        const batch = this.#items.slice(0, 500);
        try {
          await this.options.handleBatch(batch);
          this.#items.splice(0, batch.length);
          continue;
        } catch {
          // one at a time below, with retries and dead-lettering
        }
      }
      const message = this.#items[0] as BusMessage;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.handle(message);
          break;
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          if (attempt >= this.maxAttempts) {
            this.logger.error({ eventId: message.eventId, topic: message.topic, group: this.options.group, error }, "message dead-lettered");
            this.deadLetter(message, error);
            break;
          }
          this.logger.warn({ eventId: message.eventId, attempt, error }, "message handler failed; retrying");
          await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        }
      }
      this.#items.shift();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }
}
