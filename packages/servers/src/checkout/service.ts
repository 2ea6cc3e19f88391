import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Caller } from "../platform/auth.js";
import { PG, pgCode, transaction, type Em } from "../platform/db.js";
import { DomainError, notFound, stateConflict } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import { markProcessed } from "../platform/outbox.js";
import { FINAL_STATUSES, Order, priceLines, type OrderLine, type OrderSnapshot, type OrderStatus } from "./domain/order.js";
import * as repo from "./repository.js";

export const MAX_LINE_QUANTITY = 100;
export const MAX_CART_LINES = 20;

/** A ticket type as the catalogue knows it now. */
export interface TicketInfo {
  ticketId: string;
  eventId: string;
  name: string;
  priceMinor: bigint;
  currency: string;
}

/** What checkout needs from the event service. */
export interface Catalogue {
  /** NOT_FOUND (domain error) for an unknown ticket type. */
  ticket(ticketId: string): Promise<TicketInfo>;
}

export type HoldStatus = "HELD" | "CONFIRMED" | "RELEASED" | "EXPIRED";

/** What checkout needs from the booking service, which owns the holds and so decides every race on them. */
export interface Holds {
  /** Holds all lines for the order or throws (RESOURCE_EXHAUSTED with shortages, UNAVAILABLE). Idempotent. */
  hold(orderId: string, lines: readonly { ticketId: string; quantity: number }[]): Promise<{ expiresAt: Date }>;
  /** Confirms the order's holds; FAILED_PRECONDITION if they ended otherwise. Idempotent. */
  confirm(orderId: string): Promise<void>;
  /** Releases the order's HELD holds; returns how many this call released. Idempotent. */
  release(orderId: string): Promise<number>;
  /** The statuses of the order's holds. */
  statuses(orderId: string): Promise<HoldStatus[]>;
}

/** Order events, written to checkout's outbox in the transaction of the change. */
export interface OrderEvents {
  record(tx: Em, type: "PLACED" | "PAID" | "CANCELLED" | "EXPIRED" | "FAILED", order: OrderSnapshot): Promise<void>;
  committed(): void;
}

/** Use cases of checkout: carts, the PlaceOrder saga, payment, cancellation, expiry, and watching orders. */
export class CheckoutService {
  readonly #changes = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly em: Em,
    private readonly catalogue: Catalogue,
    private readonly holds: Holds,
    private readonly events: OrderEvents,
    private readonly logger: Logger,
  ) {}

  cart(userId: string): Promise<repo.CartLine[]> {
    return repo.cartOf(this.em.fork(), userId);
  }

  async addToCart(userId: string, key: string, ticketId: string, quantity: number): Promise<repo.CartLine[]> {
    const ticket = await this.catalogue.ticket(ticketId);
    await transaction(this.em, async (tx) => {
      if (!(await repo.claimIdempotencyKey(tx, userId, "AddToCart", key))) return;
      const cart = await repo.cartOf(tx, userId);
      const other = cart.find((l) => l.currency !== ticket.currency);
      if (other) {
        throw new DomainError("FailedPrecondition", `the cart is in ${other.currency}; this ticket costs ${ticket.currency}`);
      }
      if (!cart.some((l) => l.ticketId === ticketId) && cart.length >= MAX_CART_LINES) {
        throw new DomainError("FailedPrecondition", `a cart holds at most ${MAX_CART_LINES} ticket types`);
      }
      const added = await repo.addToCartLine(tx, userId, lineOf(ticket, quantity), MAX_LINE_QUANTITY);
      if (!added) {
        throw new DomainError("InvalidArgument", `quantity: a cart line holds at most ${MAX_LINE_QUANTITY} tickets`, {
          fieldViolations: [{ field: "quantity", description: `the line would exceed ${MAX_LINE_QUANTITY}` }],
        });
      }
    });
    return this.cart(userId);
  }

  async updateCart(userId: string, key: string, ticketId: string, quantity: number): Promise<repo.CartLine[]> {
    const ticket = quantity > 0 ? await this.catalogue.ticket(ticketId) : undefined;
    await transaction(this.em, async (tx) => {
      if (!(await repo.claimIdempotencyKey(tx, userId, "UpdateCart", key))) return;
      if (!ticket) {
        await repo.removeCartLines(tx, userId, [ticketId]);
        return;
      }
      const cart = await repo.cartOf(tx, userId);
      if (cart.some((l) => l.currency !== ticket.currency && l.ticketId !== ticketId)) {
        throw new DomainError("FailedPrecondition", `the cart is in another currency than ${ticket.currency}`);
      }
      if (!cart.some((l) => l.ticketId === ticketId) && cart.length >= MAX_CART_LINES) {
        throw new DomainError("FailedPrecondition", `a cart holds at most ${MAX_CART_LINES} ticket types`);
      }
      await repo.setCartLine(tx, userId, lineOf(ticket, quantity));
    });
    return this.cart(userId);
  }

  /** The order if the caller may see it; NOT_FOUND otherwise (another customer's order does not exist for them). */
  async order(caller: Caller, orderId: string): Promise<OrderSnapshot> {
    const order = await repo.findOrder(this.em.fork(), orderId);
    if (!order || (caller.role === "customer" && order.userId !== caller.sub)) throw notFound("order", orderId);
    return order;
  }

  listOrders(caller: Caller, userFilter: string | undefined, status: OrderStatus | undefined, after: string[] | undefined, limit: number) {
    const userId = caller.role === "customer" ? caller.sub : userFilter;
    if (caller.role === "customer" && userFilter && userFilter !== caller.sub) {
      throw new DomainError("PermissionDenied", "customers can list only their own orders");
    }
    return repo.listOrders(this.em.fork(), userId, status, after, limit);
  }

  /**
   * PlaceOrder, a small saga with every step safe to repeat:
   * 1. the order is recorded PLACING with its priced snapshot, keyed by (user, idempotency key);
   * 2. booking holds the stock, keyed by the order id, so a retry never holds twice;
   * 3. holds granted → PENDING_PAYMENT and the ordered lines leave the cart; short → FAILED, cart kept,
   *    RESOURCE_EXHAUSTED; booking unreachable → FAILED, and booking is asked to release whatever it may hold.
   * A retry with the same key returns the order of the first call (re-running step 2 if that call died there).
   */
  async placeOrder(userId: string, key: string): Promise<OrderSnapshot> {
    let order = await repo.findOrderByKey(this.em.fork(), userId, key);
    if (!order) {
      const cart = await repo.cartOf(this.em.fork(), userId);
      if (cart.length === 0) throw new DomainError("FailedPrecondition", "the cart is empty");
      // Prices are snapshotted from the catalogue now, not from when the tickets were added.
      const lines = await Promise.all(cart.map(async (l) => lineOf(await this.catalogue.ticket(l.ticketId), l.quantity)));
      order = await this.#record(userId, key, lines);
    }
    if (order.status === "FAILED") {
      // A retry gets the outcome the first call got: sold out stays RESOURCE_EXHAUSTED, an unreachable booking
      // service stays UNAVAILABLE (retry with a new key to try again), anything else is a failed precondition.
      const kind = order.statusReason.startsWith("not enough tickets")
        ? "ResourceExhausted"
        : order.statusReason.includes("service unavailable")
          ? "Unavailable"
          : "FailedPrecondition";
      throw new DomainError(kind, `order ${order.id} failed: ${order.statusReason}`);
    }
    if (order.status !== "PLACING") return order;
    return this.#holdFor(order);
  }

  async #record(userId: string, key: string, lines: OrderLine[]): Promise<OrderSnapshot> {
    const { totalMinor, currency } = priceLines(lines);
    const now = new Date();
    const snapshot: OrderSnapshot = {
      id: randomUUID(),
      userId,
      status: "PLACING",
      items: lines,
      totalMinor,
      currency,
      expiresAt: null,
      statusReason: "",
      paymentReference: "",
      createdAt: now,
      updatedAt: now,
    };
    try {
      return await transaction(this.em, async (tx) => {
        await repo.insertOrder(tx, snapshot, key);
        return (await repo.findOrder(tx, snapshot.id)) as OrderSnapshot;
      });
    } catch (err) {
      if (pgCode(err) === PG.uniqueViolation) {
        const other = await repo.findOrderByKey(this.em.fork(), userId, key);
        if (other) return other;
      }
      throw err;
    }
  }

  async #holdFor(order: OrderSnapshot): Promise<OrderSnapshot> {
    let expiresAt: Date;
    try {
      ({ expiresAt } = await this.holds.hold(order.id, order.items));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const failed = await this.#fail(order.id, reason);
      if (!(err instanceof DomainError) || err.kind !== "ResourceExhausted") {
        // Booking may have held before the failure reached us: give it back now rather than at expiry.
        await this.holds.release(order.id).catch((e: unknown) =>
          this.logger.warn({ err: e, orderId: order.id }, "release after a failed placement failed; holds expire by TTL"),
        );
      }
      if (failed?.status === "FAILED" || !failed) throw err;
      return failed;
    }
    const placed = await transaction(this.em, async (tx) => {
      const next = await repo.transition(tx, order.id, ["PLACING"], "PENDING_PAYMENT", { expiresAt });
      if (!next) return undefined;
      await repo.removeCartLines(tx, next.userId, next.items.map((i) => i.ticketId));
      await this.events.record(tx, "PLACED", next);
      return next;
    });
    if (placed) return this.#changed(placed);
    // Something else moved the order first (its holds expired already): report it as it is now.
    return (await repo.findOrder(this.em.fork(), order.id)) as OrderSnapshot;
  }

  async #fail(orderId: string, reason: string): Promise<OrderSnapshot | undefined> {
    const failed = await transaction(this.em, async (tx) => {
      const next = await repo.transition(tx, orderId, ["PLACING"], "FAILED", { statusReason: reason });
      if (next) await this.events.record(tx, "FAILED", next);
      return next;
    });
    return failed ? this.#changed(failed) : repo.findOrder(this.em.fork(), orderId);
  }

  /**
   * Records a payment. Booking confirms the holds first: it is the arbiter between pay, cancel and expire, so if it
   * says yes, no other transition can have won and the order becomes PAID. Paying again is a no-op.
   */
  async markPaid(caller: Caller, orderId: string, paymentReference: string): Promise<OrderSnapshot> {
    const current = await this.order(caller, orderId);
    if (current.status === "PAID") return current;
    new Order(current).assertPayable(new Date());
    await this.holds.confirm(orderId);
    const paid = await transaction(this.em, async (tx) => {
      const next = await repo.transition(tx, orderId, ["PENDING_PAYMENT"], "PAID", { paymentReference });
      if (next) await this.events.record(tx, "PAID", next);
      return next;
    });
    if (paid) return this.#changed(paid);
    const now = (await repo.findOrder(this.em.fork(), orderId)) as OrderSnapshot;
    if (now.status === "PAID") return now;
    this.logger.error({ orderId, status: now.status }, "holds confirmed but the order moved elsewhere");
    throw stateConflict(`order ${orderId} is ${now.status}`, `ORDER_STATUS_${now.status}`, "MarkOrderAsPaid");
  }

  /** Cancels an unpaid order: booking releases the holds (and so wins the race), then the order is CANCELLED. */
  async cancel(caller: Caller, orderId: string, reason: string): Promise<OrderSnapshot> {
    const current = await this.order(caller, orderId);
    if (current.status === "CANCELLED") return current;
    new Order(current).assertCancellable();
    const released = await this.holds.release(orderId);
    if (released === 0) {
      const statuses = await this.holds.statuses(orderId);
      const ended = statuses.find((s) => s === "CONFIRMED" || s === "EXPIRED");
      if (ended) {
        const state = ended === "CONFIRMED" ? "PAID" : "EXPIRED";
        throw stateConflict(`order ${orderId} cannot be cancelled: its holds were ${ended.toLowerCase()}`, `ORDER_STATUS_${state}`, "CancelOrder");
      }
    }
    const cancelled = await transaction(this.em, async (tx) => {
      const next = await repo.transition(tx, orderId, ["PENDING_PAYMENT"], "CANCELLED", {
        statusReason: reason || "cancelled by the buyer",
      });
      if (next) await this.events.record(tx, "CANCELLED", next);
      return next;
    });
    if (cancelled) return this.#changed(cancelled);
    const now = (await repo.findOrder(this.em.fork(), orderId)) as OrderSnapshot;
    if (now.status === "CANCELLED") return now;
    throw stateConflict(`order ${orderId} is ${now.status}`, `ORDER_STATUS_${now.status}`, "CancelOrder");
  }

  /**
   * Applies a booking event (at least once delivery): EXPIRED → the order EXPIRED; RELEASED by someone other than
   * this service → CANCELLED. Deduplicated by event id in the same transaction as the change.
   */
  async onHoldsEnded(eventId: string, orderId: string, outcome: "EXPIRED" | "RELEASED"): Promise<void> {
    const changed = await transaction(this.em, async (tx) => {
      if (!(await markProcessed(tx, "checkout", eventId))) return undefined;
      const next =
        outcome === "EXPIRED"
          ? await repo.transition(tx, orderId, ["PLACING", "PENDING_PAYMENT"], "EXPIRED", { statusReason: "the holds expired before payment" })
          : await repo.transition(tx, orderId, ["PENDING_PAYMENT"], "CANCELLED", { statusReason: "the holds were released" });
      if (next) await this.events.record(tx, outcome === "EXPIRED" ? "EXPIRED" : "CANCELLED", next);
      return next;
    });
    if (changed) this.#changed(changed);
  }

  /** Fails orders stuck in PLACING (their PlaceOrder died between steps) and releases their holds. */
  async recoverStalePlacing(olderThanMs: number): Promise<number> {
    const ids = await repo.stalePlacing(this.em.fork(), new Date(Date.now() - olderThanMs), 100);
    for (const id of ids) {
      await this.holds.release(id);
      await this.#fail(id, "placement did not finish; nothing is held");
    }
    return ids.length;
  }

  /** Streams the order: now, then on every change, until it is final or `signal` aborts. */
  async *watch(caller: Caller, orderId: string, signal: AbortSignal, pollMs = 1000): AsyncGenerator<OrderSnapshot> {
    let last = await this.order(caller, orderId);
    yield last;
    while (!FINAL_STATUSES.has(last.status) && !signal.aborted) {
      await this.#nextChange(orderId, signal, pollMs);
      if (signal.aborted) return;
      const now = await this.order(caller, orderId);
      if (now.status !== last.status || now.updatedAt.getTime() !== last.updatedAt.getTime()) {
        last = now;
        yield now;
      }
    }
  }

  /** Resolves on a change of the order made by this process, or after `pollMs` (changes by other replicas). */
  #nextChange(orderId: string, signal: AbortSignal, pollMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#changes.off(orderId, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      this.#changes.on(orderId, done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #changed(order: OrderSnapshot): OrderSnapshot {
    this.events.committed();
    this.#changes.emit(order.id);
    return order;
  }
}

function lineOf(ticket: TicketInfo, quantity: number): OrderLine {
  return {
    ticketId: ticket.ticketId,
    eventId: ticket.eventId,
    ticketName: ticket.name,
    quantity,
    unitPriceMinor: ticket.priceMinor,
    currency: ticket.currency,
  };
}
