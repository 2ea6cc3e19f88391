import type { NewNotification, NotificationRecord } from "./domain/delivery.js";
import { newestFirstInMemory } from "../testing/in-memory.js";
import type { AttemptOutcome, NotificationFilter, NotificationStore } from "./ports.js";

// The notification store in memory, for unit tests of the notification use cases. Each method does its work in one
// synchronous step after yielding to the event loop, so concurrent calls interleave between steps the way statements
// do in PostgreSQL, and each step is atomic the way one statement is. Time is the store's clock, which tests move.

interface Stored {
  record: NotificationRecord;
  /** When the notification may be claimed: due while PENDING and not later than the clock. */
  nextAttemptAt: number;
}

/** One row of the delivery log. */
interface LoggedAttempt {
  notificationId: string;
  attempt: number;
  outcome: AttemptOutcome["outcome"];
  detail: string;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const copy = (r: NotificationRecord): NotificationRecord => ({ ...r });

export class MemoryNotificationStore implements NotificationStore {
  readonly #rows = new Map<string, Stored>();
  readonly #bySourceEvent = new Map<string, string>();
  /** The delivery log, in the order attempts were recorded. */
  readonly log: LoggedAttempt[] = [];

  /** `clock`: the store's time in epoch milliseconds. */
  constructor(private readonly clock: () => number = Date.now) {}

  async insertNew(all: readonly NewNotification[], delivered: boolean): Promise<Set<string>> {
    await turn();
    const now = this.clock();
    const stored = new Set<string>();
    for (const n of all) {
      if (this.#bySourceEvent.has(n.sourceEventId)) continue;
      this.#bySourceEvent.set(n.sourceEventId, n.id);
      this.#rows.set(n.id, {
        record: {
          ...n,
          deliveryStatus: delivered ? "DELIVERED" : "PENDING",
          attempts: delivered ? 1 : 0,
          lastError: "",
          createdAt: new Date(now),
          deliveredAt: delivered ? new Date(now) : null,
        },
        nextAttemptAt: now,
      });
      stored.add(n.sourceEventId);
    }
    return stored;
  }

  async claimDue(limit: number, leaseSeconds: number): Promise<NotificationRecord[]> {
    await turn();
    const now = this.clock();
    const due = [...this.#rows.values()]
      .filter((s) => s.record.deliveryStatus === "PENDING" && s.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.record.id.localeCompare(b.record.id))
      .slice(0, limit);
    for (const s of due) {
      s.record.attempts += 1;
      s.nextAttemptAt = now + leaseSeconds * 1000;
    }
    return due.map((s) => copy(s.record)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async recordAttempts(outcomes: readonly AttemptOutcome[]): Promise<void> {
    await turn();
    const now = this.clock();
    for (const { notification, outcome, detail, retryInSeconds } of outcomes) {
      const stored = this.#rows.get(notification.id);
      if (!stored) continue;
      Object.assign(stored.record, {
        deliveryStatus: outcome === "RETRY" ? "PENDING" : outcome,
        lastError: outcome === "DELIVERED" ? "" : detail,
        deliveredAt: outcome === "DELIVERED" ? new Date(now) : null,
      });
      stored.nextAttemptAt = now + retryInSeconds * 1000;
      this.log.push({ notificationId: notification.id, attempt: notification.attempts, outcome, detail });
    }
  }

  async ownerOf(orderId: string): Promise<string | undefined> {
    await turn();
    return [...this.#rows.values()].find((s) => s.record.orderId === orderId)?.record.userId;
  }

  async list(filter: NotificationFilter, after: string[] | undefined, limit: number): Promise<NotificationRecord[]> {
    await turn();
    const matching = [...this.#rows.values()]
      .map((s) => s.record)
      .filter((r) => (filter.orderId === undefined || r.orderId === filter.orderId) && (filter.userId === undefined || r.userId === filter.userId));
    return newestFirstInMemory(matching, after, limit).map(copy);
  }

  /** When a notification may next be claimed (epoch milliseconds), or undefined if there is none with this id. */
  dueAt(id: string): number | undefined {
    return this.#rows.get(id)?.nextAttemptAt;
  }
}
