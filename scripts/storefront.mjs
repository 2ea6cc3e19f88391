#!/usr/bin/env node
// The storefront with a platform behind it, for people and for the browser tests. Expects the storefront built
// (scripts/storefront.sh build) and the packages compiled.
//   node scripts/storefront.mjs serve   embedded platform + the storefront on http://127.0.0.1:5173 (make storefront)
//   node scripts/storefront.mjs e2e     the same on free ports, then the buying flows in headless Chromium
//                                       (playwright-core driving Debian's /usr/bin/chromium); screenshots in
//                                       .run/storefront-e2e/
import { createTicketingClient } from "@ticketing/sdk";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import { freePort } from "./lib/free-port.mjs";
import { extname, join, normalize } from "node:path";

const root = join(import.meta.dirname, "..");
const dist = join(root, "examples", "storefront", "dist");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The storefront's built files, and /config.json telling the page where the platform is. */
function serveStorefront(port, platformUrl) {
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ platformUrl }));
      return;
    }
    const file = normalize(join(dist, path === "/" ? "index.html" : path));
    if (!file.startsWith(dist)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found\n");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The embedded platform (what `make start` runs) as a child process; resolves once it serves. */
async function startPlatform({ port, storefrontOrigin, holdTtl }) {
  const runDir = join(root, ".run", "storefront-platform");
  mkdirSync(runDir, { recursive: true });
  const envFile = join(runDir, `env-${port}`);
  rmSync(envFile, { force: true });
  const child = spawn(process.execPath, [join(root, "packages/servers/dist/main.js"), "all", "--write-env", envFile], {
    cwd: root,
    env: {
      ...process.env,
      TICKETING_PORT: String(port),
      TICKETING_CORS_ORIGINS: storefrontOrigin,
      TICKETING_LOG_FORMAT: "json",
      TICKETING_LOG_LEVEL: process.env.TICKETING_LOG_LEVEL ?? "warn",
      ...(holdTtl ? { TICKETING_HOLD_TTL: holdTtl, TICKETING_EXPIRY_CRON: "* * * * * *" } : {}),
    },
    stdio: ["ignore", "inherit", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const started = Date.now();
  while (!existsSync(envFile)) {
    if (child.exitCode !== null) throw new Error(`the platform exited (${child.exitCode}):\n${stderr}`);
    if (Date.now() - started > 90_000) throw new Error(`the platform did not start in 90 s:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const env = Object.fromEntries(
    readFileSync(envFile, "utf8")
      .split("\n")
      .map((l) => /^export (\w+)=['"]?(.*?)['"]?$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { url, adminToken: env.ADMIN_TOKEN, stop };
}

function adminClient(url, token) {
  if (!token) throw new Error("the platform's env file has no admin token");
  return createTicketingClient({ baseUrl: url, token, protocol: "connect" });
}

async function createEvent(admin, name, types) {
  const now = Math.floor(Date.now() / 1000);
  const { event } = await admin.events.createEvent({
    name,
    description: "An evening of live music.",
    venue: { name: "Harbour Hall", location: "Hamburg" },
    startsAt: { seconds: BigInt(now + 30 * 86_400) },
    endsAt: { seconds: BigInt(now + 30 * 86_400 + 4 * 3600) },
    ticketTypes: types.map(([typeName, priceMinor, capacity]) => ({ name: typeName, price: { amountMinor: BigInt(priceMinor), currency: "EUR" }, capacity })),
  });
  return event;
}

async function serve() {
  if (!existsSync(join(dist, "index.html"))) throw new Error("the storefront is not built: run scripts/storefront.sh build (make storefront does)");
  const storefrontPort = Number(process.env.STOREFRONT_PORT ?? 5173);
  const origin = `http://127.0.0.1:${storefrontPort}`;
  const platform = await startPlatform({ port: Number(process.env.TICKETING_PORT ?? 50600), storefrontOrigin: origin });
  const admin = adminClient(platform.url, platform.adminToken);
  if ((await admin.events.listEvents({ pageSize: 1 })).events.length === 0) {
    await createEvent(admin, "Harbour Lights Festival", [["Standing", 4500, 200], ["Balcony", 7900, 40]]);
  }
  const server = await serveStorefront(storefrontPort, platform.url);
  process.stderr.write(`\nstorefront: ${origin}/   (platform ${platform.url}; sign in with any name; Ctrl-C stops both)\n\n`);
  const stop = async () => {
    server.close();
    await platform.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function e2e() {
  const { chromium } = await import("playwright-core");
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
  if (!existsSync(join(dist, "index.html"))) throw new Error("the storefront is not built: run scripts/storefront.sh build");
  const artifacts = join(root, ".run", "storefront-e2e");
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  const [platformPort, storefrontPort] = [await freePort(), await freePort()];
  const shop = `http://127.0.0.1:${storefrontPort}`;
  // A short hold, so the countdown can run out during the test; long enough to pay in a loaded CI machine.
  const holdSeconds = 40;
  const platform = await startPlatform({ port: platformPort, storefrontOrigin: shop, holdTtl: `${holdSeconds}s` });
  const server = await serveStorefront(storefrontPort, platform.url);
  const admin = adminClient(platform.url, platform.adminToken);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  const results = [];
  const scenario = async (name, run) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const started = Date.now();
    try {
      await run(page);
      results.push({ name, ok: true });
      console.log(`  ok      ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      results.push({ name, ok: false });
      await page.screenshot({ path: join(artifacts, `FAILED-${name.replace(/\W+/g, "-")}.png`), fullPage: true }).catch(() => undefined);
      console.log(`  FAILED  ${name}: ${err instanceof Error ? err.message.split("\n").slice(0, 6).join("\n          ") : err}`);
    } finally {
      await context.close();
    }
  };
  const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
  const expect = async (locator, what) => {
    await locator.first().waitFor({ state: "visible" }).catch(() => {
      throw new Error(`not shown: ${what}`);
    });
  };

  // Signing in with the keyboard only: the name field has focus, Enter submits.
  const signIn = async (page, name) => {
    await page.goto(`${shop}/`);
    await page.getByLabel("Your name").waitFor();
    await page.keyboard.type(name);
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { name: "Events" }), "the event list");
  };
  const orderFromCart = async (page, eventName, ticketName, quantity) => {
    await page.getByRole("link", { name: new RegExp(eventName) }).click();
    const type = page.getByRole("listitem", { name: ticketName });
    await expect(type.getByText(/left$/), "availability");
    await type.getByLabel("Quantity").fill(String(quantity));
    await type.getByRole("button", { name: "Add to cart" }).click();
    await expect(type.getByText(`Added ${quantity} to your cart.`), "added to cart");
    await page.getByRole("link", { name: /^Cart/ }).click();
    await page.getByRole("button", { name: "Place order" }).click();
    await expect(page.getByTestId("order-status").getByText("AWAITING PAYMENT"), "order awaiting payment");
    await expect(page.getByRole("timer"), "the hold countdown");
  };
  const payWith = async (page, card) => {
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.getByLabel("Card number").fill(card);
    await page.getByRole("button", { name: /^Pay / }).click();
  };

  try {
    const festival = await createEvent(admin, "Harbour Lights Festival", [["Standing", 4500, 100], ["Balcony", 7900, 20]]);
    const tiny = await createEvent(admin, "Attic Session", [["Only seat", 2500, 1]]);
    console.log(`storefront e2e: ${shop} → platform ${platform.url}, Chromium ${browser.version()}, phone viewport 390×844`);

    await scenario("buy two tickets and pay with the success card: PAID", async (page) => {
      await signIn(page, "Alice");
      await orderFromCart(page, festival.name, "Standing", 2);
      await expect(page.getByText("€90.00"), "the order total");
      await payWith(page, "4242 4242 4242 4242");
      await page.waitForURL(`${shop}/#/orders/*`);
      await expect(page.getByTestId("order-status").getByText("PAID"), "status PAID");
      await expect(page.getByRole("img", { name: "QR code of ticket 2" }), "the second ticket's QR code");
      await shot(page, "1-paid");
    });

    await scenario("a declined card leaves the order payable", async (page) => {
      await signIn(page, "Bob");
      await orderFromCart(page, festival.name, "Balcony", 1);
      await payWith(page, "4000 0000 0000 0002");
      await expect(page.getByRole("alert").getByText(/declined/), "the PSP's decline");
      await shot(page, "2-declined-at-psp");
      await page.getByRole("link", { name: "Return to the shop" }).click();
      await expect(page.getByTestId("order-status").getByText("AWAITING PAYMENT"), "the order still awaiting payment");
      await expect(page.getByText(/last payment attempt failed/), "the failed attempt");
      await expect(page.getByRole("button", { name: /^Pay / }), "the pay button");
      await shot(page, "2-declined-order-payable");
    });

    await scenario("the hold countdown running out shows EXPIRED", async (page) => {
      await signIn(page, "Carol");
      await orderFromCart(page, festival.name, "Standing", 1);
      await page.getByTestId("order-status").getByText("EXPIRED").waitFor({ timeout: (holdSeconds + 30) * 1000 });
      await shot(page, "3-expired");
    });

    await scenario("a sold-out ticket type shows sold out", async (page) => {
      const buyer = createTicketingClient({ baseUrl: platform.url, protocol: "connect", token: await mintCustomer(platform.url, "dave") });
      await buyer.checkout.addToCart({ ticketId: tiny.ticketTypes[0].id, quantity: 1 });
      await buyer.checkout.placeOrder({});
      await signIn(page, "Erin");
      await page.getByRole("link", { name: new RegExp(tiny.name) }).click();
      const type = page.getByRole("listitem", { name: "Only seat" });
      await expect(type.getByText("Sold out"), "Sold out");
      if ((await type.getByRole("button", { name: "Add to cart" }).count()) !== 0) throw new Error("a sold-out type still offers Add to cart");
      await shot(page, "4-sold-out");
    });
  } finally {
    await browser.close();
    server.close();
    await platform.stop();
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`screenshots: ${artifacts}`);
  console.log(`storefront e2e: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 && results.length > 0 ? 0 : 1);
}

async function mintCustomer(platformUrl, name) {
  const res = await fetch(`${platformUrl}/dev/sign-in`, { method: "POST", body: JSON.stringify({ name }) });
  return (await res.json()).token;
}

const command = process.argv[2];
if (command === "serve") await serve();
else if (command === "e2e") await e2e();
else {
  console.error("usage: node scripts/storefront.mjs serve|e2e");
  process.exit(2);
}
