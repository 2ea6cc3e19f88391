import { Code, checkout, toTicketingError } from "@ticketing/sdk";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessBus } from "./platform/bus.js";
import { createLogger } from "./platform/logger.js";
import { createEventWith, createTestDatabase, eventually, gaAndVipEvent, startTestPlatform, type TestDatabase, type TestPlatform } from "./testing/harness.js";

// One server per service, as `ticketing-server event|booking|checkout` runs them: each calls the others through the
// SDK over the network with its own service token. The three share one database (separate schemas) and, until Kafka
// carries events between processes, one bus object.

let db: TestDatabase;
let booking: TestPlatform;
let eventSvc: TestPlatform;
let checkoutSvc: TestPlatform;

beforeAll(async () => {
  db = await createTestDatabase();
  const bus = new InProcessBus(createLogger("silent"));
  const secret = { TICKETING_JWT_SECRET: "separate-processes-share-this-secret-0123" };
  booking = await startTestPlatform({ db, services: ["booking"], env: { ...secret, TICKETING_HOLD_TTL: "3s", TICKETING_EXPIRY_CRON: "* * * * * *" }, extra: { bus } });
  eventSvc = await startTestPlatform({ db, services: ["event"], env: { ...secret, TICKETING_BOOKING_URL: booking.platform.url }, extra: { bus } });
  checkoutSvc = await startTestPlatform({
    db,
    services: ["checkout"],
    env: { ...secret, TICKETING_BOOKING_URL: booking.platform.url, TICKETING_EVENT_URL: eventSvc.platform.url },
    extra: { bus },
  });
});
afterAll(async () => {
  for (const p of [checkoutSvc, eventSvc, booking]) await p?.close();
  await db?.drop();
});

describe("services as separate servers", () => {
  it("run the buying flow across three servers, expiry included", async () => {
    const { ticketIds } = await createEventWith(eventSvc.admin, 10);
    const { stock } = await booking.admin.bookings.getStock({ ticketId: ticketIds[0]! });
    expect(stock).toMatchObject({ total: 10, available: 10 });

    const ivy = checkoutSvc.customer("ivy");
    await ivy.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    const { order: paidLater } = await ivy.checkout.placeOrder({});
    await checkoutSvc.admin.checkout.markOrderAsPaid({ orderId: paidLater!.id, paymentReference: "p" });

    await ivy.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 3 });
    const { order: unpaid } = await ivy.checkout.placeOrder({});
    await eventually(async () => {
      const { order } = await ivy.checkout.getOrder({ orderId: unpaid!.id });
      return order?.status === checkout.OrderStatus.EXPIRED ? true : undefined;
    });
    expect((await booking.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ sold: 2, held: 0, available: 8 });
  });
});

describe("CreateEvent when booking is down", () => {
  let orphan: TestPlatform;
  let orphanDb: TestDatabase;
  let bookingDb: TestDatabase;
  let bookingPort: number;
  let revived: TestPlatform | undefined;
  beforeAll(async () => {
    orphanDb = await createTestDatabase();
    bookingDb = await createTestDatabase();
    // Learn a free port by starting booking once, then stop it: calls to that port now fail with UNAVAILABLE.
    const first = await startTestPlatform({ db: bookingDb, services: ["booking"], env: { TICKETING_JWT_SECRET: "down-and-up-again-secret-0123456789" } });
    bookingPort = first.platform.port;
    await first.close();
    orphan = await startTestPlatform({
      db: orphanDb,
      services: ["event"],
      env: {
        TICKETING_JWT_SECRET: "down-and-up-again-secret-0123456789",
        TICKETING_BOOKING_URL: `http://127.0.0.1:${bookingPort}`,
        TICKETING_RPC_TIMEOUT_MS: "1000",
      },
    });
  });
  afterAll(async () => {
    await revived?.close();
    await orphan?.close();
    await orphanDb?.drop();
    await bookingDb?.drop();
  });

  const request = gaAndVipEvent;
  const rows = async () =>
    (
      await sql<{ name: string; status: string }>`select name, status from event.event order by name`.execute(
        orphan.platform.orms.event!.em.fork().getKysely(),
      )
    ).rows;

  it("fails with UNAVAILABLE, shows nothing, and a retry or the clean-up finishes the job once booking is back", async () => {
    for (const [key, name] of [["launch-1", "Retried Fest"], ["launch-2", "Abandoned Fest"]] as const) {
      const err = toTicketingError(await orphan.admin.events.createEvent(request(key, name)).catch((e: unknown) => e));
      expect(err.code).toBe(Code.Unavailable);
      expect(err.message).toMatch(/booking service unavailable/);
    }
    expect((await orphan.admin.events.listEvents({})).events).toEqual([]);
    // Kept only as hidden CREATING rows: booking could not say whether a stock was made, so nothing is forgotten.
    expect(await rows()).toEqual([
      { name: "Abandoned Fest", status: "CREATING" },
      { name: "Retried Fest", status: "CREATING" },
    ]);

    revived = await startTestPlatform({
      db: bookingDb,
      services: ["booking"],
      env: { TICKETING_JWT_SECRET: "down-and-up-again-secret-0123456789", TICKETING_PORT: String(bookingPort) },
    });
    const { event: created } = await orphan.admin.events.createEvent(request("launch-1", "Retried Fest"));
    expect(created?.ticketTypes).toHaveLength(2);
    const { stocks } = await revived.admin.bookings.getStocks({ eventId: created!.id });
    expect(stocks.map((s) => s.total).sort()).toEqual([2, 5]);

    expect(await orphan.platform.event!.cleanUpAbandoned(0)).toBe(1);
    expect(await rows()).toEqual([{ name: "Retried Fest", status: "ACTIVE" }]);
    expect((await revived.admin.bookings.getStocks({})).stocks).toHaveLength(2);
  });
});

describe("PlaceOrder when booking is down", () => {
  let db: TestDatabase;
  let bookingUp: TestPlatform | undefined;
  let shop: TestPlatform;
  let bookingPort: number;
  const secret = { TICKETING_JWT_SECRET: "booking-down-place-order-secret-0123456" };

  beforeAll(async () => {
    db = await createTestDatabase();
    bookingUp = await startTestPlatform({ db, services: ["booking"], env: secret });
    bookingPort = bookingUp.platform.port;
    shop = await startTestPlatform({
      db,
      services: ["event", "checkout"],
      env: { ...secret, TICKETING_BOOKING_URL: `http://127.0.0.1:${bookingPort}`, TICKETING_RPC_TIMEOUT_MS: "1000" },
    });
  });
  afterAll(async () => {
    await shop?.close();
    await bookingUp?.close();
    await db?.drop();
  });

  it("fails the order with UNAVAILABLE, answers a same-key retry the same way, holds nothing, and works once booking is back", async () => {
    const { ticketIds } = await createEventWith(shop.admin, 5);
    const uma = shop.customer("uma");
    await uma.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 2 });
    await bookingUp!.close();
    bookingUp = undefined;

    for (let attempt = 0; attempt < 2; attempt++) {
      const err = toTicketingError(await uma.checkout.placeOrder({ idempotencyKey: "uma-1" }).catch((e: unknown) => e));
      expect(err.code, `attempt ${attempt}`).toBe(Code.Unavailable);
    }
    const { orders } = await uma.checkout.listOrders({});
    expect(orders.map((o) => checkout.OrderStatus[o.status])).toEqual(["FAILED"]);
    expect((await uma.checkout.getUserCart({})).cart?.items.map((i) => i.quantity)).toEqual([2]);

    bookingUp = await startTestPlatform({ db, services: ["booking"], env: { ...secret, TICKETING_PORT: String(bookingPort) } });
    expect((await bookingUp.admin.bookings.getStock({ ticketId: ticketIds[0]! })).stock).toMatchObject({ held: 0, available: 5 });
    const { order } = await uma.checkout.placeOrder({ idempotencyKey: "uma-2" });
    expect(order?.status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
  });
});
