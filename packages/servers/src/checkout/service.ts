import { EventEmitter } from "node:events";
import type { Caller } from "../platform/auth.js";
import { BoundedMap } from "../platform/bounded-map.js";
import type { BusMessage } from "../platform/bus.js";
import { DomainError, notFound, stateConflict, type Shortage } from "../platform/errors.js";
import type { Logger } from "../platform/logger.js";
import type { Metrics } from "../platform/metrics.js";
import {
  EVENT_OF,
  FINAL_STATUSES,
  fromStates,
  Order,
  placingOrder,
  priceLines,
  type FailureKind,
  type OrderEventType,
  type OrderLine,
  type OrderSnapshot,
  type OrderStatus,
} from "./domain/order.js";
import { CartRefused, type CartLine, type OrderStore } from "./ports.js";
import { SoldOutMemory } from "./sold-out.js";
import { uuidv7 } from "../platform/ids.js";

export const MAX_LINE_QUANTITY = 100;
export const MAX_CART_LINES = 20;
/**
 * How long checkout believes booking's "none left" for a ticket type before one caller asks booking again. Meanwhile
 * AddToCart and PlaceOrder refuse that ticket type from memory, writing nothing; units coming back (a release or
 * expiry event) end it early.
 */
const SOLD_OUT_MEMORY_MS = 1000;

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
  /**
   * Holds all lines for the order or throws (RESOURCE_EXHAUSTED with shortages, UNAVAILABLE, DEADLINE_EXCEEDED).
   * Idempotent. `timeoutMs` bounds the call (default: the configured RPC timeout).
   */
  hold(orderId: string, lines: readonly { ticketId: string; quantity: number }[], timeoutMs?: number): Promise<{ expiresAt: Date }>;
  /**
   * Confirms the order's holds with this payment; FAILED_PRECONDITION if they ended otherwise. Idempotent: holds
   * confirmed before answer with the payment reference they were confirmed with.
   */
  confirm(orderId: string, paymentReference: string): Promise<{ paymentReference: string }>;
  /** Releases the order's HELD holds; returns how many this call released. Idempotent. */
  release(orderId: string): Promise<number>;
  /** How many of the ticket type can still be held. */
  available(ticketId: string): Promise<number>;
  /** The order's holds: their statuses, and the payment that confirmed them. */
  statuses(orderId: string): Promise<{ status: HoldStatus; paymentReference: string }[]>;
}

/** Order events, written to checkout's outbox in the transaction of the change. */
export interface OrderEvents {
  /** The event as it will be written by the store, with the change. */
  prepare(type: OrderEventType, order: OrderSnapshot): BusMessage;
  committed(): void;
}

/** Why an order ended when booking ended its holds. */
const HOLDS_ENDED = { EXPIRED: "the holds expired before payment", CANCELLED: "the holds were released" } as const;

const soldOut = (shortages: Shortage[]) =>
  new DomainError("ResourceExhausted", `not enough tickets: ${shortages.map((s) => `${s.ticketId} is sold out`).join("; ")}`, {
    shortages,
  });

/** Overdue orders read per batch by `reconcile`, compared with booking at a time, and batches per run at most. */
const RECONCILE_BATCH = 100;
const RECONCILE_CONCURRENCY = 8;
const RECONCILE_ROUNDS = 10;

const deadlinePassed = () => new DomainError("DeadlineExceeded", "the caller's deadline passed before the order could be placed");

/** Use cases of checkout: carts, the PlaceOrder saga, payment, cancellation, expiry, and watching orders. */
export class CheckoutService {
  readonly #changes = new EventEmitter().setMaxListeners(0);
  /** The catalogue's ticket types as read: they never change once visible (docs/adr/0005-hot-path.md). */
  readonly #tickets = new BoundedMap<string, TicketInfo>(50_000);
  readonly #soldOut: SoldOutMemory;

  constructor(
    private readonly store: OrderStore,
    private readonly catalogue: Catalogue,
    private readonly holds: Holds,
    private readonly events: OrderEvents,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.#soldOut = new SoldOutMemory((ticketId) => holds.available(ticketId), SOLD_OUT_MEMORY_MS);
  }

  cart(userId: string): Promise<CartLine[]> {
    return this.store.cart(userId);
  }

  async addToCart(userId: string, key: string, ticketId: string, quantity: number): Promise<CartLine[]> {
    if (await this.#soldOut.isSoldOut(ticketId)) throw soldOut([{ ticketId, requested: quantity, available: 0 }]);
    const line = lineOf(await this.#ticket(ticketId), quantity);
    return this.#changeCart(userId, "AddToCart", key, line, false);
  }

  async updateCart(userId: string, key: string, ticketId: string, quantity: number): Promise<CartLine[]> {
    // Removing a line needs nothing from the catalogue: the ticket type may not even exist any more.
    const line: OrderLine =
      quantity > 0
        ? lineOf(await this.#ticket(ticketId), quantity)
        : { ticketId, eventId: ticketId, ticketName: "", quantity: 0, unitPriceMinor: 0n, currency: "" };
    return this.#changeCart(userId, "UpdateCart", key, line, true);
  }

  async #changeCart(userId: string, operation: string, key: string, line: OrderLine, set: boolean): Promise<CartLine[]> {
    try {
      return await this.store.changeCart({
        userId,
        operation,
        key,
        line,
        set,
        maxLines: MAX_CART_LINES,
        maxQuantity: MAX_LINE_QUANTITY,
      });
    } catch (err) {
      switch (err instanceof CartRefused ? err.refusal : undefined) {
        case "currency":
          throw new DomainError("FailedPrecondition", `the cart is in another currency than ${line.currency}`);
        case "lines":
          throw new DomainError("FailedPrecondition", `a cart holds at most ${MAX_CART_LINES} ticket types`);
        case "quantity":
          throw new DomainError("InvalidArgument", `quantity: a cart line holds at most ${MAX_LINE_QUANTITY} tickets`, {
            fieldViolations: [{ field: "quantity", description: `the line would exceed ${MAX_LINE_QUANTITY}` }],
          });
      }
      throw err;
    }
  }

  async #ticket(ticketId: string): Promise<TicketInfo> {
    const known = this.#tickets.get(ticketId);
    if (known) return known;
    const ticket = await this.catalogue.ticket(ticketId);
    this.#tickets.set(ticketId, ticket);
    return ticket;
  }

  /** Units of these ticket types went back on sale (a release or an expiry): stop answering "sold out" from memory. */
  stockReturned(ticketIds: readonly string[]): void {
    for (const id of ticketIds) this.#soldOut.returned(id);
  }

  /** The order if the caller may see it; NOT_FOUND otherwise (another customer's order does not exist for them). */
  async order(caller: Caller, orderId: string): Promise<OrderSnapshot> {
    const order = await this.store.find(orderId);
    if (!order || (caller.role === "customer" && order.userId !== caller.sub)) throw notFound("order", orderId);
    return order;
  }

  listOrders(caller: Caller, userFilter: string | undefined, status: OrderStatus | undefined, after: string[] | undefined, limit: number) {
    const userId = caller.role === "customer" ? caller.sub : userFilter;
    if (caller.role === "customer" && userFilter && userFilter !== caller.sub) {
      throw new DomainError("PermissionDenied", "customers can list only their own orders");
    }
    return this.store.list(userId, status, after, limit);
  }

  /**
   * PlaceOrder, a small saga with every step safe to repeat:
   * 1. in one round trip, under the cart's lock, the whole cart becomes a PLACING order keyed by (user, idempotency
   *    key), or the call is answered with the order already placed under that key; tickets added afterwards stay in
   *    the cart for the next order;
   * 2. its lines' prices are checked against the catalogue, which must agree (ADR 0005);
   * 3. booking holds the stock, keyed by the order id, so a retry never holds twice;
   * 4. holds granted → PENDING_PAYMENT; short → FAILED with RESOURCE_EXHAUSTED and the quantities back in the
   *    cart; booking unreachable → FAILED, and booking is asked to release whatever it may hold; the caller's
   *    deadline passed → the order stays PLACING for a same-key retry to finish (or the recovery job to fail).
   * A retry with the same key returns the order of the first call, with the same outcome. A cart with a ticket type
   * booking just reported sold out is refused from memory, with nothing written.
   * `deadline` (epoch ms) is when the caller stops waiting.
   */
  async placeOrder(userId: string, key: string, deadline?: number): Promise<OrderSnapshot> {
    if (deadline !== undefined && deadline <= Date.now()) throw deadlinePassed();
    for (;;) {
      const order = placingOrder(uuidv7(), userId, [], new Date());
      const placed = await this.store.placeFromCart(order.id, userId, key, order.createdAt, this.#soldOut.known());
      switch (placed.outcome) {
        case "existing":
          return this.#resume(placed.orderId, deadline);
        case "empty":
          throw new DomainError("FailedPrecondition", "the cart is empty");
        case "currencies":
          throw new DomainError("FailedPrecondition", `an order is paid in one currency; the cart has ${placed.currencies.join(", ")}`);
        case "sold_out": {
          // What memory says is gone is refused; a stale belief is refreshed by one caller, who then tries again.
          const gone: Shortage[] = [];
          for (const l of placed.lines) {
            if (await this.#soldOut.isSoldOut(l.ticketId)) gone.push({ ticketId: l.ticketId, requested: l.quantity, available: 0 });
          }
          if (gone.length > 0) throw soldOut(gone);
          continue;
        }
        case "placed": {
          const recorded: OrderSnapshot = { ...order, ...priceLines(placed.lines), items: placed.lines };
          const changed = await this.#priceChanges(placed.lines);
          if (changed.length > 0) {
            await this.#fail(recorded, `the price of ${changed.join(", ")} changed since it was added to the cart`, "FailedPrecondition");
            throw new DomainError("FailedPrecondition", `the price of ${changed.join(", ")} changed since it was added to the cart; place the order again`);
          }
          return this.#holdFor(recorded, deadline);
        }
      }
    }
  }

  /** Lines whose cart price is not the catalogue's: none while ticket types cannot change (ADR 0005). */
  async #priceChanges(lines: readonly OrderLine[]): Promise<string[]> {
    const changed: string[] = [];
    for (const line of lines) {
      const ticket = await this.#ticket(line.ticketId);
      if (ticket.priceMinor !== line.unitPriceMinor || ticket.currency !== line.currency) changed.push(line.ticketId);
    }
    return changed;
  }

  async #resume(orderId: string, deadline: number | undefined): Promise<OrderSnapshot> {
    const order = (await this.store.find(orderId)) as OrderSnapshot;
    if (order.status === "FAILED") {
      // A retry gets the outcome the first call got: sold out stays RESOURCE_EXHAUSTED, an unreachable booking
      // service stays UNAVAILABLE (retry with a new key to try again), and so on.
      throw new DomainError(order.failureKind ?? "FailedPrecondition", `order ${order.id} failed: ${order.statusReason}`);
    }
    return order.status === "PLACING" ? this.#holdFor(order, deadline) : order;
  }

  async #holdFor(order: OrderSnapshot, deadline: number | undefined): Promise<OrderSnapshot> {
    const timeoutMs = deadline === undefined ? undefined : deadline - Date.now();
    if (timeoutMs !== undefined && timeoutMs <= 0) throw deadlinePassed();
    let expiresAt: Date;
    try {
      ({ expiresAt } = await this.holds.hold(order.id, order.items, timeoutMs));
    } catch (err) {
      // Nothing is decided: booking may or may not hold. The order stays PLACING: a same-key retry asks again
      // (holds are idempotent per order), and stale placements are failed and released by recoverStalePlacing.
      if (err instanceof DomainError && err.kind === "DeadlineExceeded") throw err;
      const kind = failureKindOf(err);
      if (kind === "ResourceExhausted") this.#noteSoldOut((err as DomainError).details.shortages ?? []);
      const failed = await this.#fail(order, err instanceof Error ? err.message : String(err), kind);
      if (kind !== "ResourceExhausted") {
        // Booking may have held before the failure reached us: give it back now rather than at expiry.
        await this.holds.release(order.id).catch((e: unknown) =>
          this.logger.warn({ err: e, orderId: order.id }, "release after a failed placement failed; holds expire by TTL"),
        );
      }
      if (failed?.status === "FAILED" || !failed) throw err;
      return failed;
    }
    const placed: OrderSnapshot = { ...order, status: "PENDING_PAYMENT", expiresAt, updatedAt: new Date() };
    if (await this.store.markPlaced(placed, this.events.prepare(EVENT_OF.PENDING_PAYMENT, placed))) return this.#changed(placed);
    // Something else moved the order first (its holds expired already): report it as it is now.
    return (await this.store.find(order.id)) as OrderSnapshot;
  }

  #noteSoldOut(shortages: readonly Shortage[]): void {
    for (const s of shortages) {
      if (s.available === 0) this.#soldOut.soldOut(s.ticketId);
    }
  }

  /**
   * Moves the order to `to` from whichever state the transition table allows (a compare-and-set: concurrent moves
   * end with one winner), records the move's event in the same transaction, and publishes the change once
   * committed. `eventId`: the bus event that caused the move, marked processed in that transaction (at most once).
   * Returns the moved order, or undefined when the order was not in a state it could move from (or the event was
   * processed before).
   */
  async #move(
    orderId: string,
    to: Exclude<OrderStatus, "PLACING" | "PENDING_PAYMENT" | "FAILED">,
    changes: { statusReason?: string; paymentReference?: string },
    eventId?: string,
  ): Promise<OrderSnapshot | undefined> {
    const moved = await this.store.move(orderId, fromStates(to), to, changes, (next) => this.events.prepare(EVENT_OF[to], next), eventId);
    return moved && this.#changed(moved);
  }

  /** PLACING → FAILED, the order's quantities back in the cart. Returns the order as it is now. */
  async #fail(order: OrderSnapshot, reason: string, kind: FailureKind): Promise<OrderSnapshot | undefined> {
    const failed: OrderSnapshot = { ...order, status: "FAILED", statusReason: reason, failureKind: kind, updatedAt: new Date() };
    if (await this.store.failPlacing(failed, this.events.prepare(EVENT_OF.FAILED, failed), MAX_LINE_QUANTITY)) {
      return this.#changed(failed);
    }
    return this.store.find(order.id);
  }

  /**
   * Records a payment. Booking confirms the holds first: it is the arbiter between pay, cancel and expire, so if it
   * says yes, no other transition can have won and the order becomes PAID. Paying again with the same payment
   * reference is a no-op; with another one it is refused, naming the payment the order has. A retry after a call
   * that confirmed the holds but never completed the order completes it, even past the order's expiry.
   */
  async markPaid(caller: Caller, orderId: string, paymentReference: string): Promise<OrderSnapshot> {
    const current = await this.order(caller, orderId);
    if (current.status !== "PAID") {
      new Order(current).assertCan("PAID", "MarkOrderAsPaid");
      let confirmed: { paymentReference: string };
      try {
        confirmed = await this.holds.confirm(orderId, paymentReference);
      } catch (err) {
        // Booking refuses holds that ran out; say so in the order's terms when the order has run out too.
        if (err instanceof DomainError && err.kind === "FailedPrecondition") new Order(current).assertPayable(new Date());
        throw err;
      }
      const paid = await this.#completePaid(orderId, confirmed.paymentReference || paymentReference);
      if (paid.status !== "PAID") {
        this.logger.error({ orderId, status: paid.status }, "holds confirmed but the order moved elsewhere");
        throw stateConflict(`order ${orderId} is ${paid.status}`, `ORDER_STATUS_${paid.status}`, "MarkOrderAsPaid");
      }
      if (paid.paymentReference === paymentReference) return paid;
      return this.#paidWithAnother(paid);
    }
    if (current.paymentReference === paymentReference) return current;
    return this.#paidWithAnother(current);
  }

  #paidWithAnother(order: OrderSnapshot): never {
    throw stateConflict(
      `order ${order.id} is already paid, with payment reference "${order.paymentReference}"`,
      "ORDER_STATUS_PAID",
      "MarkOrderAsPaid",
    );
  }

  /** PENDING_PAYMENT → PAID once booking has confirmed the holds. Returns the order as it is now. */
  async #completePaid(orderId: string, paymentReference: string, eventId?: string): Promise<OrderSnapshot> {
    const paid = await this.#move(orderId, "PAID", { paymentReference }, eventId);
    return paid ?? ((await this.store.find(orderId)) as OrderSnapshot);
  }

  /** Booking confirmed the order's holds (a CONFIRMED event): the order is paid, whoever asked for it. */
  async onHoldsConfirmed(eventId: string, orderId: string, paymentReference: string): Promise<void> {
    await this.#completePaid(orderId, paymentReference, eventId);
  }

  /** Cancels an unpaid order: booking releases the holds (and so wins the race), then the order is CANCELLED. */
  async cancel(caller: Caller, orderId: string, reason: string): Promise<OrderSnapshot> {
    const current = await this.order(caller, orderId);
    if (current.status === "CANCELLED") return current;
    new Order(current).assertCancellable();
    const released = await this.holds.release(orderId);
    if (released === 0) {
      const holds = await this.holds.statuses(orderId);
      const ended = holds.map((h) => h.status).find((s) => s === "CONFIRMED" || s === "EXPIRED");
      if (ended) {
        const state = ended === "CONFIRMED" ? "PAID" : "EXPIRED";
        throw stateConflict(`order ${orderId} cannot be cancelled: its holds were ${ended.toLowerCase()}`, `ORDER_STATUS_${state}`, "CancelOrder");
      }
    }
    const cancelled = await this.#move(orderId, "CANCELLED", { statusReason: reason || "cancelled by the buyer" });
    if (cancelled) return cancelled;
    const now = (await this.store.find(orderId)) as OrderSnapshot;
    if (now.status === "CANCELLED") return now;
    throw stateConflict(`order ${orderId} is ${now.status}`, `ORDER_STATUS_${now.status}`, "CancelOrder");
  }

  /**
   * PAID → REFUNDED, once the payment provider has refunded the money. The holds stay confirmed: the seats stay
   * sold. Idempotent for a refunded order.
   */
  async markRefunded(caller: Caller, orderId: string, refundReference: string, reason: string): Promise<OrderSnapshot> {
    const current = await this.order(caller, orderId);
    if (current.status === "REFUNDED") return current;
    new Order(current).assertCan("REFUNDED", "MarkOrderAsRefunded");
    const statusReason = reason ? `refunded (${refundReference}): ${reason}` : `refunded (${refundReference})`;
    const refunded = await this.#move(orderId, "REFUNDED", { statusReason });
    if (refunded) return refunded;
    const now = (await this.store.find(orderId)) as OrderSnapshot;
    if (now.status === "REFUNDED") return now;
    throw stateConflict(`order ${orderId} is ${now.status}`, `ORDER_STATUS_${now.status}`, "MarkOrderAsRefunded");
  }

  /**
   * Applies a booking event (at least once delivery): EXPIRED → the order EXPIRED; RELEASED by someone other than
   * this service → CANCELLED. Deduplicated by event id in the same transaction as the change.
   */
  async onHoldsEnded(eventId: string, orderId: string, outcome: "EXPIRED" | "RELEASED"): Promise<void> {
    const to = outcome === "EXPIRED" ? "EXPIRED" : "CANCELLED";
    await this.#move(orderId, to, { statusReason: HOLDS_ENDED[to] }, eventId);
  }

  /**
   * Brings orders that should have ended by now in line with booking's holds, which decide: holds confirmed → PAID,
   * expired → EXPIRED, released → CANCELLED. Catches what a lost call or a missed event left behind (a payment
   * confirmed at booking whose caller gave up, say). Returns the repairs made; each is logged.
   */
  async reconcile(graceMs: number): Promise<number> {
    let repaired = 0;
    // After an outage there may be hundreds of overdue orders, each a call to booking and a transaction: a few at a
    // time, and batch after batch until none is left.
    for (let round = 0; round < RECONCILE_ROUNDS; round++) {
      const stale = await this.store.pendingPastExpiry(new Date(Date.now() - graceMs), RECONCILE_BATCH);
      let repairedNow = 0;
      for (let i = 0; i < stale.length; i += RECONCILE_CONCURRENCY) {
        const outcomes = await Promise.all(stale.slice(i, i + RECONCILE_CONCURRENCY).map((id) => this.#reconcileOne(id)));
        repairedNow += outcomes.filter(Boolean).length;
      }
      repaired += repairedNow;
      // A full batch of which nothing could be repaired (holds still live, booking away) would come back unchanged.
      if (stale.length < RECONCILE_BATCH || repairedNow === 0) break;
    }
    return repaired;
  }

  /** Brings one overdue order in line with booking's holds; whether it changed. */
  async #reconcileOne(id: string): Promise<boolean> {
    const holds = await this.holds.statuses(id);
    const statuses = holds.map((h) => h.status);
    let outcome: OrderSnapshot | undefined;
    if (holds.length > 0 && statuses.every((s) => s === "CONFIRMED")) {
      const paid = await this.#completePaid(id, holds[0]?.paymentReference || "confirmed by booking");
      if (paid.status === "PAID") outcome = paid;
    } else if (statuses.includes("EXPIRED") || statuses.includes("RELEASED")) {
      const to = statuses.includes("EXPIRED") ? "EXPIRED" : "CANCELLED";
      outcome = await this.#move(id, to, { statusReason: HOLDS_ENDED[to] });
    }
    if (!outcome) return false;
    this.repairs++;
    this.metrics?.ordersReconciled.inc();
    this.logger.warn({ orderId: id, status: outcome.status }, "order reconciled with booking's holds");
    return true;
  }

  /** Orders repaired by `reconcile` since start. */
  repairs = 0;

  /** Fails orders stuck in PLACING (their PlaceOrder died between steps) and releases their holds. */
  async recoverStalePlacing(olderThanMs: number): Promise<number> {
    const ids = await this.store.stalePlacing(new Date(Date.now() - olderThanMs), 100);
    for (const id of ids) {
      await this.holds.release(id);
      const order = await this.store.find(id);
      if (order) await this.#fail(order, "placement did not finish; nothing is held", "FailedPrecondition");
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
    this.metrics?.orders.labels(order.status).inc();
    this.events.committed();
    this.#changes.emit(order.id);
    return order;
  }
}

function failureKindOf(err: unknown): FailureKind {
  if (err instanceof DomainError && (err.kind === "ResourceExhausted" || err.kind === "Unavailable" || err.kind === "NotFound")) {
    return err.kind;
  }
  return "FailedPrecondition";
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
