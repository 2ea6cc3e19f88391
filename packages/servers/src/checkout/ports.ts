import type { BusMessage } from "../platform/bus.js";
import type { OrderLine, OrderSnapshot, OrderStatus } from "./domain/order.js";

// What the checkout use cases need from storage. The PostgreSQL store (store.ts) implements it on the repository's
// statements; unit tests run the use cases on an in-memory one (memory-store.ts).

export interface CartLine extends OrderLine {
  addedAt: Date;
  updatedAt: Date;
}

/** Why a cart change was refused; nothing was written. */
export type CartRefusal = "currency" | "lines" | "quantity";

export class CartRefused extends Error {
  override readonly name = "CartRefused";
  constructor(readonly refusal: CartRefusal) {
    super(`cart change refused: ${refusal}`);
  }
}

export interface CartChange {
  userId: string;
  operation: string;
  key: string;
  line: OrderLine;
  /** UpdateCart sets the quantity (0 removes the line); AddToCart adds to it. */
  set: boolean;
  maxLines: number;
  maxQuantity: number;
}

/** What placing the cart as an order did. */
export type PlaceOutcome =
  | { outcome: "existing"; orderId: string }
  | { outcome: "empty" }
  | { outcome: "currencies"; currencies: string[] }
  | { outcome: "sold_out"; lines: { ticketId: string; quantity: number }[] }
  | { outcome: "placed"; lines: OrderLine[] };

export interface OrderStore {
  cart(userId: string): Promise<CartLine[]>;
  /**
   * Applies a cart change once per (user, operation, key), serialised per cart; returns the cart after it. Throws
   * CartRefused (writing nothing) when the currency, the number of lines or a line's quantity would break the rules.
   */
  changeCart(change: CartChange): Promise<CartLine[]>;
  /**
   * Records the whole cart as a PLACING order under (user, key) and empties it, or says why not: an order exists
   * under the key, the cart is empty, mixes currencies, or holds a ticket type in `believedSoldOut`.
   */
  placeFromCart(orderId: string, userId: string, key: string, now: Date, believedSoldOut: readonly string[]): Promise<PlaceOutcome>;
  /** PLACING → PENDING_PAYMENT (with the order's expiry) and its event, at once. False if the order had moved on. */
  markPlaced(order: OrderSnapshot, event: BusMessage): Promise<boolean>;
  /** PLACING → FAILED, its quantities back in the cart (at most `maxQuantity` a line), and its event, at once. */
  failPlacing(order: OrderSnapshot, event: BusMessage, maxQuantity: number): Promise<boolean>;
  find(orderId: string): Promise<OrderSnapshot | undefined>;
  /** Newest first after the (created_at, id) key; every user's when `userId` is undefined. */
  list(userId: string | undefined, status: OrderStatus | undefined, after: string[] | undefined, limit: number): Promise<OrderSnapshot[]>;
  /**
   * Moves the order to `to` if, and only if, it is in one of `from` (the compare-and-set concurrent moves meet on),
   * with the event `event` builds from the moved order, in one transaction. `causedBy`: the bus event that caused
   * the move, recorded as processed in that transaction; the move is skipped if it was processed before.
   */
  move(
    orderId: string,
    from: readonly OrderStatus[],
    to: OrderStatus,
    changes: { statusReason?: string; paymentReference?: string },
    event: (moved: OrderSnapshot) => BusMessage,
    causedBy?: string,
  ): Promise<OrderSnapshot | undefined>;
  /** Ids of orders still PENDING_PAYMENT although they expired before `before`. */
  pendingPastExpiry(before: Date, limit: number): Promise<string[]>;
  /** Ids of orders PLACING since before `before`. */
  stalePlacing(before: Date, limit: number): Promise<string[]>;
}
