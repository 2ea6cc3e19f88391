import { checkout, createTicketingClient, toTicketingError } from "@ticketing/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { startPlatform, type Platform } from "./app.js";
import { SERVICE_NAMES } from "./services.js";
import { loadConfig } from "./platform/config.js";
import { UnmigratedSchemaError } from "./platform/db.js";
import { createEventWith, createTestDatabase } from "./testing/harness.js";

// The zero-infrastructure mode `make start` runs: no database URL → embedded PostgreSQL (PGlite) and the in-process
// bus, over the same gRPC endpoints.

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    services: SERVICE_NAMES,
    config: loadConfig({ TICKETING_PORT: "0", TICKETING_LOG_LEVEL: "warn" }),
    logger: pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" }),
  });
});
afterAll(async () => {
  await platform?.close();
});

describe("embedded mode", () => {
  it("serves the whole buying flow over gRPC, Connect and gRPC-web without any infrastructure", async () => {
    expect(platform.embedded).toBe(true);
    const admin = createTicketingClient({
      baseUrl: platform.url,
      token: await platform.tokens.mint({ sub: "admin", role: "admin" }),
    });
    const { ticketIds } = await createEventWith(admin, 5);
    for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
      const buyer = createTicketingClient({
        baseUrl: platform.url,
        protocol,
        token: await platform.tokens.mint({ sub: `buyer-${protocol}`, role: "customer" }),
      });
      await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
      const { order } = await buyer.checkout.placeOrder({});
      const { order: paid } = await admin.checkout.markOrderAsPaid({ orderId: order!.id, paymentReference: protocol });
      expect(paid?.status, protocol).toBe(checkout.OrderStatus.PAID);
    }
    const { stock } = await admin.bookings.getStock({ ticketId: ticketIds[0]! });
    expect(stock).toMatchObject({ total: 5, sold: 3, available: 2 });
  });
});

describe("embedded mode under concurrent load", () => {
  it("keeps every connection's statements apart on the one PGlite session (no INTERNAL errors)", async () => {
    const admin = createTicketingClient({ baseUrl: platform.url, token: await platform.tokens.mint({ sub: "admin", role: "admin" }) });
    const { ticketIds } = await createEventWith(admin, 15);
    const buyers = await Promise.all(
      Array.from({ length: 25 }, async (_, i) =>
        createTicketingClient({ baseUrl: platform.url, token: await platform.tokens.mint({ sub: `crowd-${i}`, role: "customer" }) }),
      ),
    );
    await Promise.all(buyers.map((b) => b.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 })));
    const outcomes = await Promise.allSettled(buyers.map((b) => b.checkout.placeOrder({})));
    const codes = outcomes.map((o) => (o.status === "fulfilled" ? "OK" : toTicketingError(o.reason).codeName));
    expect(codes.filter((c) => c === "OK")).toHaveLength(15);
    expect(codes.filter((c) => c !== "OK").every((c) => c === "RESOURCE_EXHAUSTED")).toBe(true);
    const { stock } = await admin.bookings.getStock({ ticketId: ticketIds[0]! });
    expect(stock).toMatchObject({ total: 15, held: 15, available: 0 });
  });
});

describe("start-up on a real database", () => {
  it("refuses an unmigrated schema with a message that says what to run", async () => {
    const db = await createTestDatabase();
    try {
      const attempt = startPlatform({
        services: ["booking"],
        config: loadConfig({ TICKETING_DATABASE_URL: db.url, TICKETING_JWT_SECRET: "x".repeat(32), TICKETING_PORT: "0" }),
        logger: pino({ level: "silent" }),
      });
      await expect(attempt).rejects.toBeInstanceOf(UnmigratedSchemaError);
      await expect(attempt).rejects.toThrow(/schema "booking" is not migrated.*ticketing-server migrate/);
    } finally {
      await db.drop();
    }
  });
});
