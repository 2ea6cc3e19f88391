import { describe, expect, it } from "vitest";
import { DomainError } from "../../platform/errors.js";
import { EVENT_OF, fromStates, Order, priceLines, type OrderSnapshot, type OrderStatus } from "./order.js";

const order = (status: OrderStatus, expiresAt: Date | null = new Date(Date.now() + 60_000)) =>
  new Order({
    id: "o1",
    userId: "u",
    status,
    items: [],
    totalMinor: 0n,
    currency: "EUR",
    expiresAt,
    statusReason: "",
    failureKind: null,
    paymentReference: "",
    createdAt: new Date(),
    updatedAt: new Date(),
  } satisfies OrderSnapshot);

const refusal = (f: () => void) => {
  try {
    f();
  } catch (err) {
    return err as DomainError;
  }
  return undefined;
};

describe("the order state machine", () => {
  it("lets only a PENDING_PAYMENT order be paid or cancelled", () => {
    expect(refusal(() => order("PENDING_PAYMENT").assertPayable(new Date()))).toBeUndefined();
    expect(refusal(() => order("PENDING_PAYMENT").assertCancellable())).toBeUndefined();
    for (const status of ["PLACING", "PAID", "CANCELLED", "EXPIRED", "FAILED"] as const) {
      const err = refusal(() => order(status).assertPayable(new Date()));
      expect(err?.kind, status).toBe("FailedPrecondition");
      expect(err?.details.stateConflict).toEqual({ currentState: `ORDER_STATUS_${status}`, attempted: "MarkOrderAsPaid" });
    }
    for (const status of ["PLACING", "PAID", "EXPIRED", "FAILED"] as const) {
      expect(refusal(() => order(status).assertCancellable())?.kind, status).toBe("FailedPrecondition");
    }
  });

  it("refuses payment once the holds have run out, even before the sweep marks the order", () => {
    const err = refusal(() => order("PENDING_PAYMENT", new Date(Date.now() - 1)).assertPayable(new Date()));
    expect(err?.kind).toBe("FailedPrecondition");
    expect(err?.details.stateConflict?.currentState).toBe("ORDER_STATUS_EXPIRED");
  });

  // Every (from, to) pair, written out here independently of the table in order.ts.
  const ALLOWED = new Set([
    "PLACING→PENDING_PAYMENT",
    "PLACING→FAILED",
    "PLACING→EXPIRED",
    "PENDING_PAYMENT→PAID",
    "PENDING_PAYMENT→CANCELLED",
    "PENDING_PAYMENT→EXPIRED",
  ]);
  const STATUSES: OrderStatus[] = ["PLACING", "PENDING_PAYMENT", "PAID", "CANCELLED", "EXPIRED", "FAILED"];

  it("allows exactly the moves of the state table, and the compare-and-set conditions are read off it", () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const allowed = ALLOWED.has(`${from}→${to}`);
        const err = refusal(() => order(from).assertCan(to, "x"));
        expect(err === undefined, `${from}→${to}`).toBe(allowed);
        if (err) expect(err.details.stateConflict?.currentState).toBe(`ORDER_STATUS_${from}`);
        expect(fromStates(to).includes(from), `fromStates(${to}) has ${from}`).toBe(allowed);
      }
    }
    expect(fromStates("PLACING")).toEqual([]);
  });

  it("publishes one event type per state an order moves to", () => {
    expect(EVENT_OF).toEqual({ PENDING_PAYMENT: "PLACED", PAID: "PAID", CANCELLED: "CANCELLED", EXPIRED: "EXPIRED", FAILED: "FAILED", REFUNDED: "REFUNDED" });
  });

  it("lets a PAID order be refunded, and a refunded one go nowhere", () => {
    expect(refusal(() => order("PAID").assertCan("REFUNDED", "x"))).toBeUndefined();
    for (const from of ["PENDING_PAYMENT", "CANCELLED", "EXPIRED", "FAILED"] as const) {
      expect(refusal(() => order(from).assertCan("REFUNDED", "x"))?.kind).toBe("FailedPrecondition");
    }
    for (const to of ["PENDING_PAYMENT", "PAID", "CANCELLED", "EXPIRED", "FAILED"] as const) {
      expect(refusal(() => order("REFUNDED").assertCan(to, "x"))?.kind).toBe("FailedPrecondition");
    }
  });

  it("never leaves a final state", () => {
    for (const from of ["PAID", "CANCELLED", "EXPIRED", "FAILED"] as const) {
      for (const to of ["PLACING", "PENDING_PAYMENT", "PAID", "CANCELLED", "EXPIRED", "FAILED"] as const) {
        expect(refusal(() => order(from).assertCan(to, "x"))?.kind).toBe("FailedPrecondition");
      }
      expect(order(from).isFinal).toBe(true);
    }
  });

  it("prices in integer minor units and refuses mixed currencies", () => {
    const line = (unitPriceMinor: bigint, quantity: number, currency = "EUR") => ({
      ticketId: `t${unitPriceMinor}`,
      eventId: "e",
      ticketName: "x",
      quantity,
      unitPriceMinor,
      currency,
    });
    expect(priceLines([line(1999n, 3), line(1n, 1)])).toEqual({ totalMinor: 5998n, currency: "EUR" });
    expect(priceLines([line(9_007_199_254_740_993n, 2)]).totalMinor).toBe(18_014_398_509_481_986n);
    expect(refusal(() => priceLines([line(1n, 1), line(2n, 1, "USD")]))?.kind).toBe("FailedPrecondition");
  });
});
