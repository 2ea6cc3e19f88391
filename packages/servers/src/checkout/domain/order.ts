import { DomainError, stateConflict } from "../../platform/errors.js";

// The order aggregate's rules. PENDING_PAYMENT is the only state with a way out to the final states; PLACING lasts
// while PlaceOrder asks booking for the holds. Transitions are checked here and written with a compare-and-set on
// the status, so concurrent pay / cancel / expire end with one winner (booking, which owns the holds, decides which).

export type OrderStatus = "PLACING" | "PENDING_PAYMENT" | "PAID" | "CANCELLED" | "EXPIRED" | "FAILED" | "REFUNDED";

/** States a buyer waits for: nothing more happens to the order by itself (a PAID one may only be refunded by an admin). */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(["PAID", "CANCELLED", "EXPIRED", "FAILED", "REFUNDED"]);

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PLACING: ["PENDING_PAYMENT", "FAILED", "EXPIRED"],
  PENDING_PAYMENT: ["PAID", "CANCELLED", "EXPIRED"],
  PAID: ["REFUNDED"],
  CANCELLED: [],
  EXPIRED: [],
  FAILED: [],
  REFUNDED: [],
};

/** The states an order can reach `to` from, read off the transition table: the compare-and-set's condition. */
export function fromStates(to: OrderStatus): OrderStatus[] {
  return (Object.keys(TRANSITIONS) as OrderStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** What an order's move publishes, by the state it moved to. */
export type OrderEventType = "PLACED" | "PAID" | "CANCELLED" | "EXPIRED" | "FAILED" | "REFUNDED";
export const EVENT_OF: Readonly<Record<Exclude<OrderStatus, "PLACING">, OrderEventType>> = {
  PENDING_PAYMENT: "PLACED",
  PAID: "PAID",
  CANCELLED: "CANCELLED",
  EXPIRED: "EXPIRED",
  FAILED: "FAILED",
  REFUNDED: "REFUNDED",
};

export interface OrderLine {
  ticketId: string;
  eventId: string;
  ticketName: string;
  quantity: number;
  unitPriceMinor: bigint;
  currency: string;
}

/** Why a placement failed, kept with the order: a retry with the same key is answered with the same gRPC code. */
export type FailureKind = "ResourceExhausted" | "Unavailable" | "FailedPrecondition" | "NotFound";

export interface OrderSnapshot {
  id: string;
  userId: string;
  status: OrderStatus;
  items: OrderLine[];
  totalMinor: bigint;
  currency: string;
  expiresAt: Date | null;
  statusReason: string;
  /** Set on FAILED orders only. */
  failureKind: FailureKind | null;
  paymentReference: string;
  createdAt: Date;
  updatedAt: Date;
}

export const lineTotal = (line: OrderLine) => line.unitPriceMinor * BigInt(line.quantity);

/** Prices the lines; every line must be in one currency. */
export function priceLines(lines: readonly OrderLine[]): { totalMinor: bigint; currency: string } {
  const currencies = new Set(lines.map((l) => l.currency));
  if (currencies.size !== 1) {
    throw new DomainError("FailedPrecondition", `an order is paid in one currency; the cart has ${[...currencies].join(", ")}`);
  }
  return { totalMinor: lines.reduce((sum, l) => sum + lineTotal(l), 0n), currency: lines[0]?.currency ?? "" };
}

/** A new order, PLACING, its lines sorted by ticket type and priced (no lines yet: no total). */
export function placingOrder(id: string, userId: string, lines: readonly OrderLine[], now: Date): OrderSnapshot {
  const { totalMinor, currency } = lines.length > 0 ? priceLines(lines) : { totalMinor: 0n, currency: "" };
  return {
    id,
    userId,
    status: "PLACING",
    items: [...lines].sort((a, b) => a.ticketId.localeCompare(b.ticketId)),
    totalMinor,
    currency,
    expiresAt: null,
    statusReason: "",
    failureKind: null,
    paymentReference: "",
    createdAt: now,
    updatedAt: now,
  };
}

/** The order as the domain sees it: its state and the transitions it allows. */
export class Order {
  constructor(readonly snapshot: OrderSnapshot) {}

  get status(): OrderStatus {
    return this.snapshot.status;
  }

  get isFinal(): boolean {
    return FINAL_STATUSES.has(this.status);
  }

  /** Throws FAILED_PRECONDITION unless the order may move to `to`. */
  assertCan(to: OrderStatus, attempted: string): void {
    if (!TRANSITIONS[this.status].includes(to)) {
      throw stateConflict(
        `order ${this.snapshot.id} is ${this.status} and cannot be ${describe(to)}`,
        `ORDER_STATUS_${this.status}`,
        attempted,
      );
    }
  }

  /** Paying: only a PENDING_PAYMENT order whose holds have not run out. */
  assertPayable(now: Date): void {
    this.assertCan("PAID", "MarkOrderAsPaid");
    if (this.snapshot.expiresAt && this.snapshot.expiresAt <= now) {
      throw stateConflict(`order ${this.snapshot.id} expired at ${this.snapshot.expiresAt.toISOString()}`, "ORDER_STATUS_EXPIRED", "MarkOrderAsPaid");
    }
  }

  assertCancellable(): void {
    this.assertCan("CANCELLED", "CancelOrder");
  }
}

function describe(status: OrderStatus): string {
  switch (status) {
    case "PAID":
      return "paid";
    case "CANCELLED":
      return "cancelled";
    case "EXPIRED":
      return "expired";
    case "FAILED":
      return "failed";
    case "PENDING_PAYMENT":
      return "put up for payment";
    case "REFUNDED":
      return "refunded";
    default:
      return status.toLowerCase();
  }
}
