import { detached, pgCode, transaction, type Em } from "../platform/db.js";
import { enqueue, markProcessed } from "../platform/outbox.js";
import { CartRefused, type OrderStore } from "./ports.js";
import * as repo from "./repository.js";

/** SQLSTATEs checkout.change_cart raises when it refuses a change. */
const REFUSALS = { TKCUR: "currency", TKLIN: "lines", TKQTY: "quantity" } as const;

/** The order store on checkout's PostgreSQL schema. Statements outside a transaction run on the pool (`detached`). */
export function pgOrderStore(root: Em): OrderStore {
  const em = detached(root);
  return {
    cart: (userId) => repo.cartOf(em, userId),
    async changeCart(change) {
      try {
        return await repo.changeCart(em, change);
      } catch (err) {
        const refusal = REFUSALS[pgCode(err) as keyof typeof REFUSALS];
        throw refusal ? new CartRefused(refusal) : err;
      }
    },
    placeFromCart: (orderId, userId, key, now, believedSoldOut) => repo.placeFromCart(em, orderId, userId, key, now, believedSoldOut),
    markPlaced: (order, event) => repo.markPlaced(em, order, event),
    failPlacing: (order, event, maxQuantity) => repo.failPlacing(em, order, event, maxQuantity),
    find: (orderId) => repo.findOrder(em, orderId),
    list: (userId, status, after, limit) => repo.listOrders(em, userId, status, after, limit),
    move: (orderId, from, to, changes, event, causedBy) =>
      transaction(em, async (tx) => {
        if (causedBy !== undefined && !(await markProcessed(tx, "checkout", causedBy))) return undefined;
        const moved = await repo.transition(tx, orderId, from, to, changes);
        if (moved) await enqueue(tx, "checkout", [event(moved)]);
        return moved;
      }),
    pendingPastExpiry: (before, limit) => repo.pendingPastExpiry(em, before, limit),
    stalePlacing: (before, limit) => repo.stalePlacing(em, before, limit),
  };
}
