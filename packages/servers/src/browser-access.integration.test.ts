import { createTicketingClient } from "@ticketing/sdk";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPlatform, type Platform } from "./app.js";
import { SERVICE_NAMES } from "./services.js";
import { loadConfig } from "./platform/config.js";

// What a storefront in a browser meets, over real HTTP on the embedded platform: CORS for the configured origin only
// (never "*", never credentials), and the development sign-in that mints a customer token for a name.

const SHOP = "http://shop.test:5173";
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    services: SERVICE_NAMES,
    config: loadConfig({ TICKETING_PORT: "0", TICKETING_CORS_ORIGINS: SHOP, TICKETING_LOG_LEVEL: "warn" }),
    logger: pino({ level: "silent" }),
  });
});
afterAll(async () => {
  await platform?.close();
});

const preflight = (origin: string, path = "/ticketing.checkout.v1.CheckoutService/GetUserCart") =>
  fetch(`${platform.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, connect-protocol-version" },
  });

const signIn = async (name: string, origin = SHOP) =>
  fetch(`${platform.url}/dev/sign-in`, { method: "POST", headers: { origin, "content-type": "application/json" }, body: JSON.stringify({ name }) });

describe("CORS on the RPC port", () => {
  it("answers a preflight from a configured origin with that origin, the Connect headers, and no credentials", async () => {
    const res = await preflight(SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toMatch(/authorization.*content-type.*connect-protocol-version/);
    expect(res.headers.get("vary")).toMatch(/Origin/);
  });

  it("refuses a preflight from any other origin, and gives its calls no CORS headers", async () => {
    for (const origin of ["http://evil.test", "http://shop.test:5174", "null"]) {
      const res = await preflight(origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
    const call = await fetch(`${platform.url}/ticketing.event.v1.EventService/ListEvents`, {
      method: "POST",
      headers: { origin: "http://evil.test", "content-type": "application/json" },
      body: "{}",
    });
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("development sign-in", () => {
  it("mints a customer token for a name, which the services accept over the Connect protocol", async () => {
    const res = await signIn("Alice Smith");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(SHOP);
    const { token, sub, role } = (await res.json()) as { token: string; sub: string; role: string };
    expect([sub, role]).toEqual(["alice-smith", "customer"]);
    expect(await platform.tokens.verify(token)).toEqual({ sub: "alice-smith", role: "customer" });

    const call = await fetch(`${platform.url}/ticketing.checkout.v1.CheckoutService/GetUserCart`, {
      method: "POST",
      headers: { origin: SHOP, "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    expect(call.status).toBe(200);
    expect(call.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(call.headers.get("access-control-expose-headers")).toMatch(/grpc-status-details-bin/);
    const client = createTicketingClient({ baseUrl: platform.url, token, protocol: "connect" });
    expect((await client.checkout.getUserCart({})).cart?.userId).toBe("alice-smith");
  });

  it("refuses a name that is empty or too long", async () => {
    expect((await signIn("  ")).status).toBe(400);
    expect((await signIn("x".repeat(65))).status).toBe(400);
    expect((await fetch(`${platform.url}/dev/sign-in`, { method: "POST", body: "not json" })).status).toBe(400);
  });
});
