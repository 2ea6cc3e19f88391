import type { BusMessage } from "../platform/bus.js";
import { newestFirstInMemory } from "../testing/in-memory.js";
import { placingOrder, type OrderSnapshot, type OrderStatus } from "./domain/order.js";
import { CartRefused, type CartChange, type CartLine, type OrderStore, type PlaceOutcome } from "./ports.js";

// The order store in memory, for unit tests of the checkout use cases. Each method does its work in one synchronous
// step after yielding to the event loop, so concurrent calls interleave between steps the way statements do in
// PostgreSQL, and each step is atomic the way one statement (or one transaction) is.

const copy = (o: OrderSnapshot): OrderSnapshot => ({ ...o, items: o.items.map((i) => ({ ...i })) });
const byTicket = (a: { ticketId: string }, b: { ticketId: string }) => a.ticketId.localeCompare(b.ticketId);
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryOrderStore implements OrderStore {
  readonly orders = new Map<string, OrderSnapshot>();
  readonly carts = new Map<string, CartLine[]>();
  /** Every event written, in commit order. */
  readonly outbox: BusMessage[] = [];
  readonly #claimed = new Set<string>();
  readonly #processed = new Set<string>();

  async cart(userId: string): Promise<CartLine[]> {
    await turn();
    return this.#cartOf(userId);
  }

  #cartOf(userId: string): CartLine[] {
    return [...(this.carts.get(userId) ?? [])]
      .sort((a, b) => a.addedAt.getTime() - b.addedAt.getTime() || byTicket(a, b))
      .map((l) => ({ ...l }));
  }

  async changeCart(change: CartChange): Promise<CartLine[]> {
    await turn();
    const claim = `${change.userId}\u0000${change.operation}\u0000${change.key}`;
    if (this.#claimed.has(claim)) return this.#cartOf(change.userId);
    const lines = this.carts.get(change.userId) ?? [];
    const { line } = change;
    const existing = lines.find((l) => l.ticketId === line.ticketId);
    const now = new Date();
    if (change.set && line.quantity === 0) {
      this.carts.set(change.userId, lines.filter((l) => l !== existing));
    } else {
      if (lines.some((l) => l.ticketId !== line.ticketId && l.currency !== line.currency)) throw new CartRefused("currency");
      if (!existing && lines.length >= change.maxLines) throw new CartRefused("lines");
      const quantity = change.set ? line.quantity : (existing?.quantity ?? 0) + line.quantity;
      if (!change.set && quantity > change.maxQuantity) throw new CartRefused("quantity");
      if (existing) Object.assign(existing, { quantity, ticketName: line.ticketName, unitPriceMinor: line.unitPriceMinor, updatedAt: now });
      else lines.push({ ...line, quantity, addedAt: now, updatedAt: now });
      this.carts.set(change.userId, lines);
    }
    this.#claimed.add(claim);
    return this.#cartOf(change.userId);
  }

  async placeFromCart(orderId: string, userId: string, key: string, now: Date, believedSoldOut: readonly string[]): Promise<PlaceOutcome> {
    await turn();
    const existing = [...this.orders.values()].find((o) => o.userId === userId && this.#keys.get(o.id) === key);
    if (existing) return { outcome: "existing", orderId: existing.id };
    const lines = this.carts.get(userId) ?? [];
    if (lines.length === 0) return { outcome: "empty" };
    const currencies = [...new Set(lines.map((l) => l.currency))];
    if (currencies.length > 1) return { outcome: "currencies", currencies };
    const gone = lines.filter((l) => believedSoldOut.includes(l.ticketId));
    if (gone.length > 0) return { outcome: "sold_out", lines: gone.map((l) => ({ ticketId: l.ticketId, quantity: l.quantity })) };
    const order = placingOrder(orderId, userId, lines.map(({ addedAt: _a, updatedAt: _u, ...l }) => l), now);
    this.orders.set(orderId, order);
    this.#keys.set(orderId, key);
    this.carts.delete(userId);
    return { outcome: "placed", lines: order.items.map((i) => ({ ...i })) };
  }

  readonly #keys = new Map<string, string>();

  async markPlaced(order: OrderSnapshot, event: BusMessage): Promise<boolean> {
    await turn();
    const current = this.orders.get(order.id);
    if (current?.status !== "PLACING") return false;
    this.orders.set(order.id, { ...current, status: "PENDING_PAYMENT", expiresAt: order.expiresAt, updatedAt: order.updatedAt });
    this.outbox.push(event);
    return true;
  }

  async failPlacing(order: OrderSnapshot, event: BusMessage, maxQuantity: number): Promise<boolean> {
    await turn();
    const current = this.orders.get(order.id);
    if (current?.status !== "PLACING") return false;
    this.orders.set(order.id, { ...current, status: "FAILED", statusReason: order.statusReason, failureKind: order.failureKind, updatedAt: order.updatedAt });
    const cart = this.carts.get(current.userId) ?? [];
    for (const item of current.items) {
      const line = cart.find((l) => l.ticketId === item.ticketId);
      if (line) Object.assign(line, { quantity: Math.min(line.quantity + item.quantity, maxQuantity), updatedAt: order.updatedAt });
      else cart.push({ ...item, quantity: Math.min(item.quantity, maxQuantity), addedAt: order.updatedAt, updatedAt: order.updatedAt });
    }
    this.carts.set(current.userId, cart);
    this.outbox.push(event);
    return true;
  }

  async find(orderId: string): Promise<OrderSnapshot | undefined> {
    await turn();
    const order = this.orders.get(orderId);
    return order && copy(order);
  }

  async list(userId: string | undefined, status: OrderStatus | undefined, after: string[] | undefined, limit: number): Promise<OrderSnapshot[]> {
    await turn();
    const matching = [...this.orders.values()].filter((o) => (userId === undefined || o.userId === userId) && (status === undefined || o.status === status));
    return newestFirstInMemory(matching, after, limit).map(copy);
  }

  readonly move: OrderStore["move"] = async (orderId, from, to, changes, event, causedBy) => {
    await turn();
    if (causedBy !== undefined && this.#processed.has(causedBy)) return undefined;
    const current = this.orders.get(orderId);
    if (causedBy !== undefined) this.#processed.add(causedBy);
    if (!current || !from.includes(current.status)) return undefined;
    const moved = { ...current, ...changes, status: to, updatedAt: new Date() };
    this.orders.set(orderId, moved);
    this.outbox.push(event(copy(moved)));
    return copy(moved);
  };

  async pendingPastExpiry(before: Date, limit: number): Promise<string[]> {
    await turn();
    return [...this.orders.values()]
      .filter((o) => o.status === "PENDING_PAYMENT" && o.expiresAt !== null && o.expiresAt < before)
      .slice(0, limit)
      .map((o) => o.id);
  }

  async stalePlacing(before: Date, limit: number): Promise<string[]> {
    await turn();
    return [...this.orders.values()].filter((o) => o.status === "PLACING" && o.updatedAt < before).slice(0, limit).map((o) => o.id);
  }
}
