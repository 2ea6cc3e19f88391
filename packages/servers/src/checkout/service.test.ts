// The checkout use cases on an in-memory order store, with booking's holds faked: the state machine through the
// service, failures kept as data, and races that must end with one winner. The same rules on real PostgreSQL over
// real gRPC: concurrency, carts, flow and reconcile integration tests.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Caller } from "../platform/auth.js";
import type { BusMessage } from "../platform/bus.js";
import { DomainError, type Shortage } from "../platform/errors.js";
import { createLogger } from "../platform/logger.js";
import type { OrderEventType, OrderSnapshot } from "./domain/order.js";
import { MemoryOrderStore } from "./memory-store.js";
import { CheckoutService, type HoldStatus, type Holds, type OrderEvents } from "./service.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Booking as checkout sees it: the arbiter of every race on an order's holds. */
class FakeHolds implements Holds {
  readonly holds = new Map<string, { status: HoldStatus; paymentReference: string }>();
  stock = 1_000;
  unavailable = false;

  async hold(orderId: string, lines: readonly { ticketId: string; quantity: number }[]): Promise<{ expiresAt: Date }> {
    await turn();
    if (this.unavailable) throw new DomainError("Unavailable", "booking: service unavailable");
    const wanted = lines.reduce((n, l) => n + l.quantity, 0);
    if (!this.holds.has(orderId)) {
      if (wanted > this.stock) {
        const shortages: Shortage[] = lines.map((l) => ({ ticketId: l.ticketId, requested: l.quantity, available: this.stock }));
        throw new DomainError("ResourceExhausted", "not enough tickets", { shortages });
      }
      this.stock -= wanted;
      this.holds.set(orderId, { status: "HELD", paymentReference: "" });
    }
    return { expiresAt: new Date(Date.now() + 600_000) };
  }

  async confirm(orderId: string, paymentReference: string): Promise<{ paymentReference: string }> {
    await turn();
    const hold = this.holds.get(orderId);
    if (hold?.status === "HELD") Object.assign(hold, { status: "CONFIRMED", paymentReference });
    if (hold?.status !== "CONFIRMED") throw new DomainError("FailedPrecondition", `the holds of ${orderId} ended`);
    return { paymentReference: hold.paymentReference };
  }

  async release(orderId: string): Promise<number> {
    await turn();
    return this.end(orderId, "RELEASED") ? 1 : 0;
  }

  /** Ends the order's holds if they are still HELD; true if this call ended them. */
  end(orderId: string, status: "RELEASED" | "EXPIRED"): boolean {
    const hold = this.holds.get(orderId);
    if (hold?.status !== "HELD") return false;
    hold.status = status;
    return true;
  }

  async available(): Promise<number> {
    return this.stock;
  }

  async statuses(orderId: string): Promise<{ status: HoldStatus; paymentReference: string }[]> {
    const hold = this.holds.get(orderId);
    return hold ? [{ ...hold }] : [];
  }
}

const events = (): OrderEvents & { published: number } => {
  const sink = {
    published: 0,
    prepare: (type: OrderEventType, order: OrderSnapshot): BusMessage => ({
      topic: "orders",
      key: order.id,
      type,
      eventId: randomUUID(),
      value: new TextEncoder().encode(order.status),
    }),
    committed: () => {
      sink.published++;
    },
  };
  return sink;
};

const TICKET = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

function setup() {
  const store = new MemoryOrderStore();
  const holds = new FakeHolds();
  const sink = events();
  const catalogue = { ticket: async (ticketId: string) => ({ ticketId, eventId: "e", name: "GA", priceMinor: 4500n, currency: "EUR" }) };
  const service = new CheckoutService(store, catalogue, holds, sink, createLogger("silent"));
  const buyer = (sub: string): Caller => ({ sub, role: "customer" });
  const placed = async (sub: string, quantity = 1) => {
    await service.addToCart(sub, randomUUID(), TICKET, quantity);
    return service.placeOrder(sub, randomUUID());
  };
  const eventsOf = (orderId: string) => store.outbox.filter((e) => e.key === orderId).map((e) => e.type);
  return { store, holds, sink, service, buyer, placed, eventsOf };
}

describe("checkout use cases on an in-memory store", () => {
  it("place → pay: PLACING → PENDING_PAYMENT → PAID, one event per move, paying twice with one reference is a no-op", async () => {
    const { service, buyer, placed, eventsOf, store } = setup();
    const order = await placed("ann", 2);
    expect(order).toMatchObject({ status: "PENDING_PAYMENT", totalMinor: 9000n });
    expect(await store.cart("ann")).toEqual([]);
    const paid = await service.markPaid(buyer("ann"), order.id, "pay-1");
    expect(paid).toMatchObject({ status: "PAID", paymentReference: "pay-1" });
    expect(await service.markPaid(buyer("ann"), order.id, "pay-1")).toMatchObject({ status: "PAID" });
    await expect(service.markPaid(buyer("ann"), order.id, "pay-2")).rejects.toMatchObject({ kind: "FailedPrecondition" });
    await expect(service.cancel(buyer("ann"), order.id, "")).rejects.toMatchObject({ kind: "FailedPrecondition" });
    expect(eventsOf(order.id)).toEqual(["PLACED", "PAID"]);
  });

  it("cancel: PENDING_PAYMENT → CANCELLED, the holds released; a cancelled order cannot be paid", async () => {
    const { service, buyer, placed, holds, eventsOf } = setup();
    const order = await placed("bob");
    expect(await service.cancel(buyer("bob"), order.id, "changed my mind")).toMatchObject({ status: "CANCELLED", statusReason: "changed my mind" });
    expect(holds.holds.get(order.id)?.status).toBe("RELEASED");
    await expect(service.markPaid(buyer("bob"), order.id, "pay")).rejects.toMatchObject({ kind: "FailedPrecondition" });
    expect(eventsOf(order.id)).toEqual(["PLACED", "CANCELLED"]);
  });

  it("a failed placement keeps its kind as data: the retry with the same key gets the same code, the cart is back", async () => {
    const { service, holds, store, eventsOf } = setup();
    holds.stock = 1;
    await service.addToCart("cy", "k1", TICKET, 3);
    const refusal = await service.placeOrder("cy", "same-key").catch((e: unknown) => e);
    expect(refusal).toMatchObject({ kind: "ResourceExhausted" });
    const [failed] = await store.list("cy", undefined, undefined, 10);
    expect(failed).toMatchObject({ status: "FAILED", failureKind: "ResourceExhausted" });
    expect((await store.cart("cy")).map((l) => l.quantity)).toEqual([3]);
    // The retry is answered from the stored kind, even though booking would now hold.
    holds.stock = 100;
    await expect(service.placeOrder("cy", "same-key")).rejects.toMatchObject({ kind: "ResourceExhausted" });
    expect(eventsOf(failed!.id)).toEqual(["FAILED"]);

    holds.unavailable = true;
    await expect(service.placeOrder("cy", "other-key")).rejects.toMatchObject({ kind: "Unavailable" });
    holds.unavailable = false;
    await expect(service.placeOrder("cy", "other-key")).rejects.toMatchObject({ kind: "Unavailable" });
  });

  it("a booking event is applied once, however often it is delivered", async () => {
    const { service, buyer, placed, holds, eventsOf } = setup();
    const order = await placed("dee");
    holds.end(order.id, "EXPIRED");
    const eventId = randomUUID();
    await Promise.all([service.onHoldsEnded(eventId, order.id, "EXPIRED"), service.onHoldsEnded(eventId, order.id, "EXPIRED")]);
    await service.onHoldsEnded(eventId, order.id, "EXPIRED");
    expect(await service.order(buyer("dee"), order.id)).toMatchObject({ status: "EXPIRED" });
    expect(eventsOf(order.id)).toEqual(["PLACED", "EXPIRED"]);
  });

  it("pay, cancel and expiry racing on each of 30 orders end with exactly one winner, the one booking chose", async () => {
    const { service, buyer, placed, holds, eventsOf } = setup();
    const orders = await Promise.all(Array.from({ length: 30 }, (_, i) => placed(`racer-${i}`)));
    await Promise.all(
      orders.flatMap((o, i) => {
        const caller = buyer(`racer-${i}`);
        const expire = async () => {
          await turn();
          if (holds.end(o.id, "EXPIRED")) await service.onHoldsEnded(randomUUID(), o.id, "EXPIRED");
        };
        const calls = [service.markPaid(caller, o.id, `pay-${i}`), service.cancel(caller, o.id, ""), expire()];
        return (i % 2 === 0 ? calls : calls.reverse()).map((p) => p.catch((e: unknown) => e));
      }),
    );
    const finals = new Map<string, number>();
    for (const [i, o] of orders.entries()) {
      const now = await service.order(buyer(`racer-${i}`), o.id);
      const hold = holds.holds.get(o.id)?.status;
      const expected = { CONFIRMED: "PAID", RELEASED: "CANCELLED", EXPIRED: "EXPIRED" }[hold as "CONFIRMED" | "RELEASED" | "EXPIRED"];
      expect(now.status, o.id).toBe(expected);
      expect(eventsOf(o.id), o.id).toEqual(["PLACED", now.status === "PAID" ? "PAID" : now.status]);
      finals.set(now.status, (finals.get(now.status) ?? 0) + 1);
    }
    expect([...finals.values()].reduce((a, b) => a + b, 0)).toBe(30);
  });

  it("two ends racing on each of 20 orders (an expiry event and a release event) move each order once", async () => {
    const { service, buyer, placed, eventsOf } = setup();
    const orders = await Promise.all(Array.from({ length: 20 }, (_, i) => placed(`end-${i}`)));
    await Promise.all(
      orders.flatMap((o, i) => {
        const ends = [service.onHoldsEnded(randomUUID(), o.id, "EXPIRED"), service.onHoldsEnded(randomUUID(), o.id, "RELEASED")];
        return i % 2 === 0 ? ends : ends.reverse();
      }),
    );
    for (const [i, o] of orders.entries()) {
      const now = await service.order(buyer(`end-${i}`), o.id);
      expect(["EXPIRED", "CANCELLED"]).toContain(now.status);
      expect(eventsOf(o.id)).toEqual(["PLACED", now.status]);
    }
  });

  it("reconcile follows booking: confirmed holds → PAID, expired → EXPIRED, released → CANCELLED", async () => {
    const { service, buyer, placed, holds, store } = setup();
    const [a, b, c] = [await placed("e1"), await placed("e2"), await placed("e3")];
    for (const o of [a, b, c]) store.orders.set(o.id, { ...store.orders.get(o.id)!, expiresAt: new Date(Date.now() - 60_000) });
    await holds.confirm(a.id, "late-pay");
    holds.end(b.id, "EXPIRED");
    holds.end(c.id, "RELEASED");
    expect(await service.reconcile(0)).toBe(3);
    expect((await service.order(buyer("e1"), a.id)).status).toBe("PAID");
    expect((await service.order(buyer("e2"), b.id)).status).toBe("EXPIRED");
    expect((await service.order(buyer("e3"), c.id)).status).toBe("CANCELLED");
    expect(await service.reconcile(0)).toBe(0);
  });

  it("the cart's rules hold in the store: one currency, bounded lines and quantities, one change per key", async () => {
    const { service, store } = setup();
    await service.addToCart("fay", "k", TICKET, 2);
    await service.addToCart("fay", "k", TICKET, 2);
    expect((await store.cart("fay")).map((l) => l.quantity)).toEqual([2]);
    await expect(service.addToCart("fay", "k2", TICKET, 99)).rejects.toMatchObject({ kind: "InvalidArgument" });
    expect((await store.cart("fay")).map((l) => l.quantity)).toEqual([2]);
  });
});
