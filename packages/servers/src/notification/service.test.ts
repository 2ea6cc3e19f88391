// The notification use cases on an in-memory store with a fake channel: the delivery state table, one notification
// per order event, and delivery passes racing. The same rules on real PostgreSQL and a real broker:
// notifications.integration.test.ts.
import { randomUUID } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import type { Caller } from "../platform/auth.js";
import { createLogger } from "../platform/logger.js";
import { PermanentDeliveryError, type Channel, type Outgoing } from "./channels.js";
import type { OrderEventKind } from "./domain/templates.js";
import { MemoryNotificationStore } from "./memory-store.js";
import { NotificationService, type OrderChange } from "./service.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A channel that records what it delivers; `failWith` decides, per attempt, whether it throws instead. */
class FakeChannel implements Channel {
  readonly name = "WEBHOOK";
  readonly delivered: Outgoing[] = [];
  failWith: ((n: Outgoing) => Error | undefined) | undefined;

  constructor(readonly immediate = false) {}

  async deliver(n: Outgoing): Promise<string> {
    await turn();
    const error = this.failWith?.(n);
    if (error) throw error;
    this.delivered.push(n);
    return "HTTP 204";
  }

  times(sourceEventId: string): number {
    return this.delivered.filter((n) => n.sourceEventId === sourceEventId).length;
  }
}

const MAX_ATTEMPTS = 4;

function setup(options: { immediate?: boolean } = {}) {
  const clock = { now: Date.parse("2026-03-01T10:00:00Z") };
  const store = new MemoryNotificationStore(() => clock.now);
  const channel = new FakeChannel(options.immediate);
  const service = new NotificationService(store, channel, createLogger("silent"), MAX_ATTEMPTS, (p) => ({ bytes: p.length }));
  // The worker is never started: delivery passes run only when a test calls deliverDue.
  void service.stop();
  const change = (userId = "ann", orderId = randomUUID(), kind: OrderEventKind = "PLACED"): OrderChange => ({
    eventId: randomUUID(),
    kind,
    userId,
    facts: { orderId, totalMinor: 4500n, currency: "EUR", expiresAt: undefined, reason: "", lines: [{ name: "GA", quantity: 1 }] },
    payload: new Uint8Array([1, 2, 3]),
  });
  const only = async (c: OrderChange) => {
    const [n, ...rest] = await store.list({ orderId: c.facts.orderId }, undefined, 10);
    expect(rest).toEqual([]);
    return n!;
  };
  const advance = (ms: number) => {
    clock.now += ms;
  };
  return { clock, store, channel, service, change, only, advance };
}

describe("notification delivery on an in-memory store", () => {
  it("PENDING → DELIVERED: one attempt, delivered once with the rendered notification, never again", async () => {
    const { service, channel, change, only, advance, store } = setup();
    const c = change("ann", undefined, "PAID");
    expect(await service.record(c)).toBe(true);
    expect(await only(c)).toMatchObject({ deliveryStatus: "PENDING", attempts: 0, deliveredAt: null });
    expect(channel.delivered).toEqual([]);

    expect(await service.deliverDue()).toBe(1);
    const n = await only(c);
    expect(n).toMatchObject({ deliveryStatus: "DELIVERED", attempts: 1, lastError: "" });
    expect(n.deliveredAt).toBeInstanceOf(Date);
    expect(channel.delivered).toHaveLength(1);
    expect(channel.delivered[0]).toMatchObject({
      notificationId: n.id,
      sourceEventId: c.eventId,
      orderId: c.facts.orderId,
      userId: "ann",
      eventType: "ORDER_EVENT_TYPE_PAID",
      subject: n.subject,
      event: { bytes: 3 },
    });
    expect(store.log).toEqual([{ notificationId: n.id, attempt: 1, outcome: "DELIVERED", detail: "HTTP 204" }]);

    advance(3_600_000);
    expect(await service.deliverDue()).toBe(0);
    expect(channel.times(c.eventId)).toBe(1);
  });

  it("a failed attempt is retried with a doubling backoff, each attempt counted, until it is delivered", async () => {
    const { service, channel, change, only, advance, store, clock } = setup();
    const c = change();
    await service.record(c);
    let failures = 2;
    channel.failWith = () => (failures-- > 0 ? new Error("connection refused") : undefined);

    expect(await service.deliverDue()).toBe(1);
    const first = await only(c);
    expect(first).toMatchObject({ deliveryStatus: "PENDING", attempts: 1, lastError: "connection refused", deliveredAt: null });
    expect(store.dueAt(first.id)).toBe(clock.now + 1_000);
    advance(999);
    expect(await service.deliverDue()).toBe(0);
    advance(1);
    expect(await service.deliverDue()).toBe(1);
    expect(await only(c)).toMatchObject({ deliveryStatus: "PENDING", attempts: 2 });
    expect(store.dueAt(first.id)).toBe(clock.now + 2_000);
    advance(1_999);
    expect(await service.deliverDue()).toBe(0);
    advance(1);
    expect(await service.deliverDue()).toBe(1);
    expect(await only(c)).toMatchObject({ deliveryStatus: "DELIVERED", attempts: 3, lastError: "" });
    expect(store.log.map((a) => [a.attempt, a.outcome])).toEqual([[1, "RETRY"], [2, "RETRY"], [3, "DELIVERED"]]);
    expect(channel.times(c.eventId)).toBe(1);
  });

  it("maxAttempts failures → FAILED, and a failed notification is never attempted again", async () => {
    const { service, channel, change, only, advance, store } = setup();
    const c = change();
    await service.record(c);
    channel.failWith = () => new Error("503 from the receiver");
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await service.deliverDue(), `attempt ${attempt}`).toBe(1);
      advance(300_000);
    }
    expect(await only(c)).toMatchObject({ deliveryStatus: "FAILED", attempts: MAX_ATTEMPTS, lastError: "503 from the receiver" });
    expect(store.log.map((a) => a.outcome)).toEqual(["RETRY", "RETRY", "RETRY", "FAILED"]);
    channel.failWith = undefined;
    advance(86_400_000);
    expect(await service.deliverDue()).toBe(0);
    expect(channel.delivered).toEqual([]);
  });

  it("PermanentDeliveryError → FAILED at the first attempt, no retry", async () => {
    const { service, channel, change, only, advance } = setup();
    const c = change();
    await service.record(c);
    channel.failWith = () => new PermanentDeliveryError("webhook answered 410");
    expect(await service.deliverDue()).toBe(1);
    expect(await only(c)).toMatchObject({ deliveryStatus: "FAILED", attempts: 1, lastError: "webhook answered 410" });
    channel.failWith = undefined;
    advance(86_400_000);
    expect(await service.deliverDue()).toBe(0);
    expect(channel.delivered).toEqual([]);
  });

  it("the backoff doubles from the base and stops growing at five minutes", async () => {
    const { clock, store, change, advance } = setup();
    const channel = new FakeChannel();
    channel.failWith = () => new Error("timeout");
    const service = new NotificationService(store, channel, createLogger("silent"), 20, () => null, 1_000);
    void service.stop();
    const c = change();
    await service.record(c);
    const [n] = await store.list({}, undefined, 1);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      await service.deliverDue();
      waits.push((store.dueAt(n!.id)! - clock.now) / 1000);
      advance(store.dueAt(n!.id)! - clock.now);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
  });

  it("a claim leases what it took; a pass that died is redelivered once its lease has lapsed", async () => {
    const { service, channel, change, only, advance, store } = setup();
    const c = change();
    await service.record(c);
    // A worker claims the notification and dies before recording the outcome.
    expect(await store.claimDue(10, 60)).toHaveLength(1);
    expect(await service.deliverDue()).toBe(0);
    advance(59_999);
    expect(await service.deliverDue()).toBe(0);
    advance(1);
    expect(await service.deliverDue()).toBe(1);
    expect(await only(c)).toMatchObject({ deliveryStatus: "DELIVERED", attempts: 2 });
    expect(channel.times(c.eventId)).toBe(1);
  });

  it("two delivery passes racing over 50 notifications deliver each exactly once", async () => {
    const { service, channel, change, store } = setup();
    const changes = Array.from({ length: 50 }, (_, i) => change(`racer-${i % 5}`));
    await service.recordAll(changes);
    const [a, b] = await Promise.all([service.deliverDue(7), service.deliverDue(7)]);
    expect(a + b).toBe(50);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    for (const c of changes) expect(channel.times(c.eventId), c.eventId).toBe(1);
    const all = await store.list({}, undefined, 100);
    expect(all.every((n) => n.deliveryStatus === "DELIVERED" && n.attempts === 1)).toBe(true);
  });
});

describe("the delivery worker", () => {
  it("is woken by a new notification instead of waiting for its poll, and does nothing once stopped", async () => {
    const store = new MemoryNotificationStore();
    const channel = new FakeChannel();
    const service = new NotificationService(store, channel, createLogger("silent"), MAX_ATTEMPTS, () => null);
    const { change } = setup();
    const claims = vi.spyOn(store, "claimDue");
    service.start(600_000);
    try {
      // The first pass runs at start and finds nothing; the next one is due only in ten minutes.
      await vi.waitFor(() => expect(claims).toHaveBeenCalled());
      const c = change();
      await service.record(c);
      await vi.waitFor(() => expect(channel.times(c.eventId)).toBe(1), { timeout: 10_000 });
    } finally {
      await service.stop();
    }
    const late = change();
    await service.record(late);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(channel.times(late.eventId)).toBe(0);
    expect((await store.list({ orderId: late.facts.orderId }, undefined, 1))[0]).toMatchObject({ deliveryStatus: "PENDING" });
  });
});

describe("one notification per order event", () => {
  it("an event delivered twice, in one batch or in two, is stored once", async () => {
    const { service, change, store } = setup();
    const c = change();
    const other = change();
    expect(await service.recordAll([c, c, other])).toBe(2);
    expect(await service.recordAll([c])).toBe(0);
    expect(await service.record(other)).toBe(false);
    expect((await store.list({}, undefined, 10)).map((n) => n.sourceEventId).sort()).toEqual([c.eventId, other.eventId].sort());
  });

  it("one event recorded by five consumers at once is stored once, and only one of them says it was new", async () => {
    const { service, change, store } = setup();
    const c = change();
    const results = await Promise.all(Array.from({ length: 5 }, () => service.record(c)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.list({ orderId: c.facts.orderId }, undefined, 10)).toHaveLength(1);
  });

  it("a channel that cannot fail delivers the new ones at once, stored as delivered; duplicates are not delivered again", async () => {
    const { service, channel, change, only } = setup({ immediate: true });
    const [a, b, c] = [change(), change(), change()];
    expect(await service.recordAll([a, b])).toBe(2);
    expect(channel.delivered.map((n) => n.sourceEventId)).toEqual([a.eventId, b.eventId]);
    expect(await only(a)).toMatchObject({ deliveryStatus: "DELIVERED", attempts: 1 });
    expect(await service.recordAll([a, c, b])).toBe(1);
    expect(channel.delivered.map((n) => n.sourceEventId)).toEqual([a.eventId, b.eventId, c.eventId]);
    await Promise.all([service.record(a), service.record(c)]);
    expect(await service.deliverDue()).toBe(0);
    expect(channel.delivered).toHaveLength(3);
  });
});

describe("listing notifications", () => {
  const customer = (sub: string): Caller => ({ sub, role: "customer" });
  const admin: Caller = { sub: "root", role: "admin" };

  it("a customer sees only their own; another customer's order does not exist for them", async () => {
    const { service, change } = setup();
    const [ann1, ann2, bob1] = [change("ann"), change("ann"), change("bob")];
    await service.recordAll([ann1, ann2, bob1]);

    const own = await service.list(customer("ann"), {}, undefined, 10);
    expect(own.map((n) => n.sourceEventId).sort()).toEqual([ann1.eventId, ann2.eventId].sort());
    expect((await service.list(customer("ann"), { orderId: ann1.facts.orderId }, undefined, 10)).map((n) => n.sourceEventId)).toEqual([ann1.eventId]);

    await expect(service.list(customer("ann"), { orderId: bob1.facts.orderId }, undefined, 10)).rejects.toMatchObject({ kind: "NotFound" });
    await expect(service.list(customer("ann"), { userId: "bob" }, undefined, 10)).rejects.toMatchObject({ kind: "PermissionDenied" });
    expect(await service.list(customer("ann"), { orderId: randomUUID() }, undefined, 10)).toEqual([]);

    expect((await service.list(admin, { userId: "bob" }, undefined, 10)).map((n) => n.sourceEventId)).toEqual([bob1.eventId]);
    expect(await service.list(admin, {}, undefined, 10)).toHaveLength(3);
  });

  it("pages newest first by (created_at, id), without gaps or repeats", async () => {
    const { service, change, advance } = setup();
    const changes: OrderChange[] = [];
    for (let i = 0; i < 7; i++) {
      const batch = [change("cy"), change("cy")];
      changes.push(...batch);
      await service.recordAll(batch);
      advance(1_000);
    }
    const seen: string[] = [];
    let after: string[] | undefined;
    for (;;) {
      const page = await service.list(customer("cy"), {}, after, 3);
      if (page.length === 0) break;
      seen.push(...page.map((n) => n.id));
      const last = page.at(-1)!;
      after = [last.createdAt.toISOString(), last.id];
    }
    const all = await service.list(admin, { userId: "cy" }, undefined, 100);
    expect(all).toHaveLength(14);
    expect(seen).toEqual(all.map((n) => n.id));
    const keys = all.map((n) => [n.createdAt.getTime(), n.id] as const);
    expect(keys).toEqual([...keys].sort((x, y) => y[0] - x[0] || y[1].localeCompare(x[1])));
  });
});
