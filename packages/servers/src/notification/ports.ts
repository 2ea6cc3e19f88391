import type { NewNotification, NotificationRecord } from "./domain/delivery.js";

// What the notification use cases need from storage. The PostgreSQL store (store.ts) implements it on the
// repository's statements; unit tests run the use cases on an in-memory one (memory-store.ts).

/** How one delivery attempt ended: DELIVERED, RETRY after `retryInSeconds`, or FAILED for good. */
export interface AttemptOutcome {
  notification: NotificationRecord;
  outcome: "DELIVERED" | "RETRY" | "FAILED";
  detail: string;
  retryInSeconds: number;
}

export interface NotificationFilter {
  orderId?: string | undefined;
  userId?: string | undefined;
}

export interface NotificationStore {
  /**
   * Stores the notifications whose source event has none yet (an event is delivered at least once), at once for the
   * whole batch; concurrent calls with one event store it once. `delivered`: stored as delivered already (a channel
   * that delivers at once). Returns the source event ids this call stored.
   */
  insertNew(all: readonly NewNotification[], delivered: boolean): Promise<Set<string>>;
  /**
   * Claims up to `limit` due PENDING notifications, oldest first, for one delivery attempt each: counts the attempt
   * and leases them for `leaseSeconds`, so no other claim gets them while the lease holds.
   */
  claimDue(limit: number, leaseSeconds: number): Promise<NotificationRecord[]>;
  /** Settles a batch of claimed attempts and logs them; a RETRY is due again after its `retryInSeconds`. */
  recordAttempts(outcomes: readonly AttemptOutcome[]): Promise<void>;
  /** The buyer the order's notifications are for, if it has any. */
  ownerOf(orderId: string): Promise<string | undefined>;
  /** Newest first after the (created_at, id) key, by order and/or user. */
  list(filter: NotificationFilter, after: string[] | undefined, limit: number): Promise<NotificationRecord[]>;
}
