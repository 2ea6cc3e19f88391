import { detached, type Em } from "../platform/db.js";
import type { NotificationStore } from "./ports.js";
import * as repo from "./repository.js";

/** The notification store on notification's PostgreSQL schema. Its statements run on the pool (`detached`). */
export function pgNotificationStore(root: Em): NotificationStore {
  const em = detached(root);
  return {
    insertNew: (all, delivered) => repo.insertNew(em, all, delivered),
    claimDue: (limit, leaseSeconds) => repo.claimDue(em, limit, leaseSeconds),
    recordAttempts: (outcomes) => repo.recordAttempts(em, outcomes),
    ownerOf: (orderId) => repo.ownerOf(em, orderId),
    list: (filter, after, limit) => repo.list(em, filter, after, limit),
  };
}
