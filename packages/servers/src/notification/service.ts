import type { Caller } from "../platform/auth.js";
import { DomainError } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { PermanentDeliveryError, type Channel, type Outgoing } from "./channels.js";
import { render, type OrderEventKind, type OrderFacts } from "./domain/templates.js";
import type { NewNotification, NotificationRecord } from "./domain/delivery.js";
import type { AttemptOutcome, NotificationFilter, NotificationStore } from "./ports.js";
import { uuidv7 } from "../platform/ids.js";

/** The least time between two delivery passes while notifications keep arriving. */
const PASS_INTERVAL_MS = 25;

/** An order event as the notification service needs it. */
export interface OrderChange {
  eventId: string;
  kind: OrderEventKind;
  userId: string;
  facts: OrderFacts;
  /** The event itself, serialized, kept with the notification. */
  payload: Uint8Array;
}

/** Stores one notification per order change and delivers it through the configured channel. */
export class NotificationService {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #lastPass = 0;

  constructor(
    private readonly store: NotificationStore,
    private readonly channel: Channel,
    private readonly logger: Logger,
    private readonly maxAttempts: number,
    /** Turns a stored event payload into the JSON a webhook receives. */
    private readonly toJson: (payload: Uint8Array) => unknown,
    private readonly backoffBaseMs = 1000,
  ) {}

  /**
   * Stores the notification for each order change, at most once per event id (Kafka delivers at least once), in one
   * step for the batch. A channel that cannot fail delivers the new ones at once; the others are delivered by the
   * worker. Returns how many were new.
   */
  async recordAll(changes: readonly OrderChange[]): Promise<number> {
    const immediate = this.channel.immediate === true;
    const fresh = changes.map((change) => {
      const { subject, body } = render(change.kind, change.facts);
      return {
        id: uuidv7(),
        sourceEventId: change.eventId,
        orderId: change.facts.orderId,
        userId: change.userId,
        orderEventType: `ORDER_EVENT_TYPE_${change.kind}`,
        channel: this.channel.name,
        subject,
        body,
        payload: change.payload,
      };
    });
    const stored = await this.store.insertNew(fresh, immediate);
    if (stored.size === 0) return 0;
    if (!immediate) {
      this.wake();
      return stored.size;
    }
    for (const n of fresh) {
      if (stored.has(n.sourceEventId)) await this.channel.deliver(this.#outgoing(n));
    }
    return stored.size;
  }

  /** Stores one order change's notification; see `recordAll`. */
  async record(change: OrderChange): Promise<boolean> {
    return (await this.recordAll([change])) === 1;
  }

  async list(caller: Caller, filter: NotificationFilter, after: string[] | undefined, limit: number) {
    if (caller.role === "customer") {
      if (filter.userId && filter.userId !== caller.sub) {
        throw new DomainError("PermissionDenied", "customers can list only their own notifications");
      }
      // Another customer's order does not exist for this one, as in checkout. (An order with no notification yet
      // has no known owner here: its list is empty.)
      const owner = filter.orderId ? await this.store.ownerOf(filter.orderId) : undefined;
      if (owner !== undefined && owner !== caller.sub) throw new DomainError("NotFound", `order ${filter.orderId} not found`);
      return this.store.list({ orderId: filter.orderId, userId: caller.sub }, after, limit);
    }
    return this.store.list(filter, after, limit);
  }

  /** Starts the delivery worker: it polls every `pollMs` and is woken at once by new notifications. */
  start(pollMs = 1000): void {
    this.#stopped = false;
    this.#schedule(0, pollMs);
  }

  wake(): void {
    if (this.#stopped) return;
    if (this.#running) this.#again = true;
    else this.#schedule(this.#pause(), 1000);
  }

  /**
   * Under load every stored notification wakes the worker; passes at most every PASS_INTERVAL_MS let each claim
   * take a batch instead of one row (a claim costs about the same for one row as for two hundred).
   */
  #pause(): number {
    return Math.max(0, this.#lastPass + PASS_INTERVAL_MS - Date.now());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.channel.close?.();
  }

  #schedule(ms: number, pollMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#lastPass = Date.now();
      this.#running = this.deliverDue()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.error({ err }, "notification delivery pass failed"))
        .finally(() => {
          this.#running = undefined;
          if (this.#stopped) return;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? this.#pause() : pollMs, pollMs);
        });
    }, ms);
    this.#timer.unref();
  }

  /**
   * One delivery pass over due notifications; returns how many were attempted. Each claimed batch is delivered,
   * then its outcomes are recorded together (a crash in between redelivers the batch once its lease ends:
   * delivery is at least once, as the channels document).
   */
  async deliverDue(batch = 200): Promise<number> {
    let attempted = 0;
    for (;;) {
      const due = await this.store.claimDue(batch, 60);
      if (due.length === 0) return attempted;
      attempted += due.length;
      const outcomes: AttemptOutcome[] = [];
      for (const n of due) outcomes.push(await this.#deliver(n));
      await this.store.recordAttempts(outcomes);
    }
  }

  #outgoing(n: NewNotification): Outgoing {
    const toJson = this.toJson;
    return {
      notificationId: n.id,
      sourceEventId: n.sourceEventId,
      orderId: n.orderId,
      userId: n.userId,
      eventType: n.orderEventType,
      subject: n.subject,
      body: n.body,
      // Only the webhook channel sends the event itself: converting it for the others would be wasted work.
      get event() {
        return toJson(n.payload);
      },
    };
  }

  async #deliver(n: NotificationRecord): Promise<AttemptOutcome> {
    try {
      const detail = await this.channel.deliver(this.#outgoing(n));
      return { notification: n, outcome: "DELIVERED", detail, retryInSeconds: 0 };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const giveUp = err instanceof PermanentDeliveryError || n.attempts >= this.maxAttempts;
      const retryIn = Math.min(300, (this.backoffBaseMs / 1000) * 2 ** (n.attempts - 1));
      this.logger.warn({ notificationId: n.id, attempt: n.attempts, giveUp, error: message }, "notification delivery failed");
      return { notification: n, outcome: giveUp ? "FAILED" : "RETRY", detail: message, retryInSeconds: giveUp ? 0 : retryIn };
    }
  }
}
