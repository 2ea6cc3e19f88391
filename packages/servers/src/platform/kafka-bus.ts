import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  compatibilityPartitioner,
  stringDeserializer,
  stringSerializer,
  type Message,
  type MessagesStream,
} from "@platformatic/kafka";
import { TOPICS, type Bus, type BusMessage, type PartitionLag, type SubscribeOptions, type Subscription } from "./bus.js";
import type { Logger } from "./logger.js";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Partitions of every topic created at start. */
  partitions?: number;
  replicas?: number;
  /** How long start-up may wait for a broker before failing with a clear error. */
  startTimeoutMs?: number;
  /** Consumer session timeout: how long the group waits for a silent member (a killed one) before moving on. */
  sessionTimeoutMs?: number;
  /**
   * Static membership: a restarted process with the same id takes its partitions back without waiting out the
   * session of the one that died. Unset: dynamic membership.
   */
  groupInstanceId?: string;
  /** Attempts before a failing message goes to the dead-letter topic. */
  maxAttempts?: number;
  /** Prefix of every topic and consumer group, so several deployments (or test runs) can share a cluster. */
  namespace?: string;
}

/** The dead-letter topic of a topic: messages a consumer gave up on, with the error in a header. */
export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

const HEADER_TYPE = "event-type";
const HEADER_ID = "event-id";
/** W3C trace context of the span that wrote the event (tracing on only). */
const HEADER_TRACEPARENT = "traceparent";

type StringKeyed = Producer<string, Buffer, string, string>;

/**
 * The bus on Apache Kafka (@platformatic/kafka). Topics are created at start; keys are order ids, partitioned as the
 * Java client does (murmur2), so one order's events stay in order on one partition; values are protobuf bytes with
 * the event type and id in headers. Consumers commit an offset only after the handler — which commits its own
 * transaction — returned, and send a message that keeps failing to the dead-letter topic with its error.
 */
export class KafkaBus implements Bus {
  readonly #subscriptions = new Set<KafkaSubscription>();

  private constructor(
    private readonly options: Required<Omit<KafkaBusOptions, "logger">> & { logger: Logger },
    private readonly producer: StringKeyed,
  ) {}

  static async connect(options: KafkaBusOptions): Promise<KafkaBus> {
    const full = {
      partitions: 6,
      replicas: 1,
      startTimeoutMs: 15_000,
      sessionTimeoutMs: 10_000,
      groupInstanceId: "",
      maxAttempts: 5,
      namespace: "",
      ...options,
    };
    const base = { clientId: full.clientId, bootstrapBrokers: full.brokers, retries: 3, retryDelay: 250, timeout: 5000 };
    const admin = new Admin(base);
    const producer: StringKeyed = new Producer({
      ...base,
      idempotent: true,
      // Idempotent mode retries forever without a broker when retries ≤ 1; start-up is bounded below instead.
      retries: 3,
      partitioner: compatibilityPartitioner,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ensureTopics(admin, full.namespace, full.partitions, full.replicas),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no Kafka broker answered at ${full.brokers.join(",")} within ${full.startTimeoutMs} ms`)),
            full.startTimeoutMs,
          );
        }),
      ]);
    } catch (err) {
      await Promise.allSettled([admin.close(), producer.close(true)]);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot reach Kafka at ${full.brokers.join(",")}: ${reason}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    await admin.close();
    return new KafkaBus(full, producer);
  }

  async publish(messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.producer.send({
      messages: messages.map((m) => ({
        topic: this.physical(m.topic),
        key: m.key,
        value: Buffer.from(m.value),
        headers: { [HEADER_TYPE]: m.type, [HEADER_ID]: m.eventId, ...(m.traceContext ? { [HEADER_TRACEPARENT]: m.traceContext } : {}) },
      })),
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const subscription = new KafkaSubscription(options, this);
    await subscription.start();
    this.#subscriptions.add(subscription);
    subscription.done.finally(() => this.#subscriptions.delete(subscription));
    return subscription;
  }

  /** A consumer of one topic in one group, reading from the group's committed offsets. */
  async openStream(options: SubscribeOptions): Promise<{ consumer: StringConsumer; stream: StringStream }> {
    const consumer: StringConsumer = new Consumer({
      clientId: this.options.clientId,
      bootstrapBrokers: this.options.brokers,
      groupId: this.physical(options.group),
      autocommit: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.options.sessionTimeoutMs / 3)),
      ...(this.options.groupInstanceId ? { groupInstanceId: this.options.groupInstanceId } : {}),
      retries: 3,
      deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
    });
    try {
      const stream = await consumer.consume({
        topics: [this.physical(options.topic)],
        // Without COMMITTED a new group starts at the end and misses what was published before it joined.
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
        maxWaitTime: 500,
      });
      return { consumer, stream };
    } catch (err) {
      await bounded(consumer.close(true));
      throw err;
    }
  }

  /** Sends a message that could not be handled to the topic's dead-letter topic, with the reason. */
  async deadLetter(message: BusMessage, group: string, error: string, attempts: number): Promise<void> {
    await this.producer.send({
      messages: [
        {
          topic: this.physical(deadLetterTopic(message.topic)),
          key: message.key,
          value: Buffer.from(message.value),
          headers: {
            [HEADER_TYPE]: message.type,
            [HEADER_ID]: message.eventId,
            "consumer-group": group,
            error: error.slice(0, 1000),
            attempts: String(attempts),
          },
        },
      ],
    });
  }

  /** The cluster-side name of a topic or group. */
  physical(name: string): string {
    return `${this.options.namespace}${name}`;
  }

  /** The logical name of a cluster-side topic. */
  logical(name: string): string {
    return name.startsWith(this.options.namespace) ? name.slice(this.options.namespace.length) : name;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get maxAttempts(): number {
    return this.options.maxAttempts;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.producer.close();
  }
}

type StringConsumer = Consumer<string, Buffer, string, string>;
type StringStream = MessagesStream<string, Buffer, string, string>;

/** Waits for `work` at most `ms`, so a broker that stopped answering cannot hold anything up. */
const bounded = (work: Promise<unknown>, ms = 10_000) =>
  Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);

/**
 * A subscription that outlives its broker: when the stream fails (the broker went away, the group was lost), it
 * closes the consumer, tells `onStateChange`, and opens a new one with backoff until the broker answers again,
 * then resumes from the group's committed offsets.
 */
class KafkaSubscription implements Subscription {
  done: Promise<void> = Promise.resolve();
  #closing = false;
  #current: { consumer: StringConsumer; stream: StringStream } | undefined;
  #wake: (() => void) | undefined;
  readonly #log: Logger;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly bus: KafkaBus,
  ) {
    this.#log = bus.logger.child({ topic: options.topic, group: options.group });
  }

  /** Opens the first stream (failing like the bus's start-up when the broker is not there) and starts reading. */
  async start(): Promise<void> {
    this.#current = await this.bus.openStream(this.options);
    this.done = this.#supervise();
  }

  async #supervise(): Promise<void> {
    let backoffMs = 250;
    while (!this.#closing) {
      const current = this.#current;
      if (current) {
        try {
          await this.#read(current.stream);
          if (this.#closing) return;
          this.#log.warn("consumer stream ended; reconnecting");
        } catch (err) {
          if (this.#closing) return;
          this.#log.error({ err }, "consumer stopped; reconnecting");
        }
        this.options.onStateChange?.(false);
        this.#current = undefined;
        await bounded(current.stream.close());
        await bounded(current.consumer.close(true));
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoffMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.#closing) return;
      try {
        this.#current = await this.bus.openStream(this.options);
        backoffMs = 250;
        this.options.onStateChange?.(true);
        this.#log.info("consumer resumed");
      } catch (err) {
        backoffMs = Math.min(backoffMs * 2, 5_000);
        this.#log.warn({ err: (err as Error).message, retryInMs: backoffMs }, "broker not reachable yet");
      }
    }
  }

  async #read(stream: StringStream): Promise<void> {
    for await (const first of stream) {
      const batch = [first as Message<string, Buffer, string, string>];
      // What the fetch already delivered is handled together when the subscriber can take a batch.
      if (this.options.handleBatch) {
        let more: Message<string, Buffer, string, string> | null;
        while (batch.length < 500 && (more = stream.read() as Message<string, Buffer, string, string> | null) !== null) batch.push(more);
      }
      const messages = batch.map((m) => this.#busMessage(m));
      if (messages.length > 1 && this.options.handleBatch) {
        try {
          await this.options.handleBatch(messages);
        } catch (err) {
          this.#log.warn({ err: (err as Error).message, messages: messages.length }, "batch handler failed; handling one by one");
          for (const message of messages) await this.#handle(message);
        }
      } else {
        for (const message of messages) await this.#handle(message);
      }
      // Not awaited: the client coalesces commits (one in flight per partition, the highest offset wins), so the
      // next message need not wait a broker round trip. The handler's own transaction has committed, and a
      // redelivery after a crash is absorbed by the handlers' event-id deduplication.
      for (const m of batch) {
        Promise.resolve(m.commit()).catch((err: unknown) => this.#log.warn({ err }, "offset commit failed; the message may be redelivered"));
      }
      if (this.#closing) return;
    }
  }

  #busMessage(message: Message<string, Buffer, string, string>): BusMessage {
    const traceContext = message.headers.get(HEADER_TRACEPARENT);
    return {
      ...(traceContext ? { traceContext } : {}),
      topic: this.bus.logical(message.topic),
      key: message.key,
      type: message.headers.get(HEADER_TYPE) ?? "",
      eventId: message.headers.get(HEADER_ID) ?? "",
      value: new Uint8Array(message.value),
      headers: Object.fromEntries(message.headers),
    };
  }

  async #handle(message: BusMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.handle(message);
        return;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        if (attempt >= this.bus.maxAttempts) {
          this.#log.error({ eventId: message.eventId, attempts: attempt, error }, "message dead-lettered");
          await this.bus.deadLetter(message, this.options.group, error, attempt);
          return;
        }
        this.#log.warn({ eventId: message.eventId, attempt, error }, "message handler failed; retrying");
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  get group(): string {
    return this.options.group;
  }

  /** Per assigned partition: the partition's end offset minus the group's committed offset. */
  async lag(): Promise<PartitionLag[]> {
    const current = this.#current;
    if (!current) return [];
    const physical = this.bus.physical(this.options.topic);
    const offsets = await current.consumer.getLag({ topics: [physical] });
    const lags: PartitionLag[] = [];
    (offsets.get(physical) ?? []).forEach((lag, partition) => {
      // Negative: a partition another member reads (or none has committed yet).
      if (lag >= 0n) lags.push({ topic: this.options.topic, partition, lag: Number(lag) });
    });
    return lags;
  }

  async close(): Promise<void> {
    if (this.#closing) return this.done;
    this.#closing = true;
    this.#wake?.();
    // The stream first (it flushes pending commits), then the consumer (it leaves the group).
    const current = this.#current;
    if (current) {
      await bounded(current.stream.close());
      await bounded(current.consumer.close());
    }
    await bounded(this.done);
  }
}

async function ensureTopics(admin: Admin, namespace: string, partitions: number, replicas: number): Promise<void> {
  const wanted = Object.values(TOPICS).flatMap((t) => [t, deadLetterTopic(t)]).map((t) => `${namespace}${t}`);
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ topics: missing, partitions, replicas });
  } catch (err) {
    // Processes started together race to create the topics: losing that race is fine. The broker says so per
    // topic (TOPIC_ALREADY_EXISTS, nested in the client's aggregate error), and its metadata may lag behind for a
    // moment, so anything else is judged by whether the topics exist a little later.
    if (onlyAlreadyExists(err)) return;
    for (let attempt = 0; ; attempt++) {
      const after = new Set(await admin.listTopics());
      if (missing.every((t) => after.has(t))) return;
      if (attempt === 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Whether every broker error inside `err` (an aggregate, possibly nested) is TOPIC_ALREADY_EXISTS. */
function onlyAlreadyExists(err: unknown): boolean {
  const leaves: unknown[] = [];
  const walk = (e: unknown): void => {
    const nested = (e as { errors?: unknown[] } | undefined)?.errors;
    if (Array.isArray(nested) && nested.length > 0) nested.forEach(walk);
    else leaves.push(e);
  };
  walk(err);
  return leaves.every((e) => {
    const { apiId, message } = e as { apiId?: string; message?: string };
    return apiId === "TOPIC_ALREADY_EXISTS" || /already exists/i.test(String(message ?? ""));
  });
}
