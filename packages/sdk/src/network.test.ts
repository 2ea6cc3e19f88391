import { readFile, rm, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTicketingClient, type Protocol } from "./index.js";
import { createTicketingClient as createWebClient } from "./web.js";
import { createFakePlatform, type FakePlatform } from "./testing/fake-platform.js";
import { serveRouter, type ServedRouter } from "./testing/serve.js";

const README = new URL("../../../README.md", import.meta.url);

let fake: FakePlatform;
let served: ServedRouter;

beforeAll(async () => {
  fake = createFakePlatform();
  served = await serveRouter(fake.routes);
});
afterAll(async () => {
  await served.close();
});

describe("the SDK over real sockets", () => {
  const cases: [Protocol, () => string][] = [
    ["grpc", () => served.h2Url],
    ["connect", () => served.h1Url],
    ["grpc-web", () => served.h1Url],
  ];
  it.each(cases)("creates and reads an event over %s", async (protocol, url) => {
    const client = createTicketingClient({ baseUrl: url(), token: "admin", protocol });
    const { event } = await client.events.createEvent({
      name: `Concert over ${protocol}`,
      ticketTypes: [{ name: "Standing", price: { amountMinor: 4500n, currency: "EUR" }, capacity: 100 }],
    });
    const { event: read } = await client.events.getEvent({ eventId: event?.id ?? "" });
    expect(read?.name).toBe(`Concert over ${protocol}`);
    expect(read?.ticketTypes[0]?.price?.amountMinor).toBe(4500n);
  });

  it("the browser entry speaks Connect through fetch", async () => {
    const client = createWebClient({ baseUrl: served.h1Url, token: "admin" });
    const { events } = await client.events.listEvents({});
    expect(events.length).toBeGreaterThan(0);
    expect(() => createWebClient({ baseUrl: served.h1Url, protocol: "grpc" })).toThrow(/browsers cannot speak/);
  });
});

describe("the README's SDK snippet", () => {
  it("runs as written against a server", async () => {
    const admin = createTicketingClient({ baseUrl: served.h2Url, token: "admin" });
    await admin.events.createEvent({
      name: "Spring Tour",
      ticketTypes: [{ name: "Standing", price: { amountMinor: 4500n, currency: "EUR" }, capacity: 100 }],
    });

    const markdown = await readFile(README, "utf8");
    const snippet = /<!-- sdk-snippet -->\s*```ts\n([\s\S]*?)```/.exec(markdown)?.[1];
    expect(snippet, "README.md has a ts block after <!-- sdk-snippet -->").toBeTruthy();

    const file = new URL(`./readme-snippet-${process.pid}.tmp.ts`, import.meta.url);
    await writeFile(file, snippet ?? "");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    vi.stubEnv("TICKETING_URL", served.h2Url);
    vi.stubEnv("TICKETING_TOKEN", "customer-alice");
    let printed = "";
    try {
      await import(/* @vite-ignore */ file.href);
    } finally {
      printed = log.mock.calls.map((args) => args.join(" ")).join("\n");
      vi.unstubAllEnvs();
      log.mockRestore();
      await rm(file, { force: true });
    }
    expect(printed).toContain("Spring Tour");
    expect(printed).toMatch(/order ord-\d+ awaits payment of 9000 EUR/);
    const placed = fake.calls.filter((c) => c.method === "PlaceOrder");
    expect(placed.at(-1)?.authorization).toBe("Bearer customer-alice");
  });
});
