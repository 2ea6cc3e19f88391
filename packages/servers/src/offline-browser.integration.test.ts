import { admission as pb, type TicketingClient } from "@ticketing/sdk";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { build } from "esbuild";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buyPaidTickets, createEventWith, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Offline verification in a real browser: the SDK's browser entry, bundled the way a web scanner would bundle it
// (esbuild, `browser` condition), runs in Debian's headless Chromium and verifies codes issued by a running platform
// with the keys and revocations that platform serves. Chromium's WebCrypto does the Ed25519, not Node's.
//
// Chromium is Debian's (/usr/bin/chromium, package `chromium`; TICKETING_TEST_CHROMIUM names another binary);
// nothing downloads a browser build. Without it the tests are skipped with a message, except under CI=true, where a
// missing Chromium fails the run.

const CHROMIUM = process.env["TICKETING_TEST_CHROMIUM"] ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const underCi = process.env["CI"] === "true";
if (!haveChromium && !underCi) {
  console.warn(`offline-browser: SKIPPED, no ${CHROMIUM} (Debian: apt-get install chromium); CI=true makes this a failure`);
}

/** What the page answers for one code. */
interface PageVerdict {
  valid: boolean;
  reason?: string;
  ticketId?: string;
  userAgent: string;
}

describe.runIf(haveChromium || underCi)("verifyTicketCode in headless Chromium, from the SDK's browser bundle", () => {
  let t: TestPlatform;
  let dir: string;
  let http: Server;
  let browser: Browser;
  let page: Page;
  let gate: TicketingClient;
  let eventId: string;
  let genuine: string;
  let revoked: string;
  let revokedTicketId: string;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) before make test`);
    t = await startTestPlatform({ logLevel: "warn" });
    gate = t.clientWithToken(await t.platform.tokens.mint({ sub: "offline-door", role: "gate" }));
    const created = await createEventWith(t.admin, 10);
    eventId = created.eventId;
    const buyer = t.customer("bea");
    const { tickets } = await buyPaidTickets(t.admin, buyer, created.ticketIds[0]!, 2);
    genuine = (await buyer.admission.getTicketCode({ ticketId: tickets[0]!.id })).code;
    revokedTicketId = tickets[1]!.id;
    revoked = (await buyer.admission.getTicketCode({ ticketId: revokedTicketId })).code;

    // The bundle: `@ticketing/sdk` resolved as a bundler for browsers resolves it (exports' `browser` condition,
    // the built dist/web.js), no Node built-ins allowed, exposed to the page as `TicketingSdk`.
    dir = await mkdtemp(join(tmpdir(), "ticketing-browser-"));
    await build({
      stdin: { contents: 'export { verifyTicketCode } from "@ticketing/sdk";\n', resolveDir: import.meta.dirname, loader: "js" },
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "TicketingSdk",
      outfile: join(dir, "sdk.js"),
      logLevel: "silent",
    });
    await writeFile(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><title>scanner</title><script src="sdk.js"></script>\n');
    // Served over http://127.0.0.1, a secure context, as a scanner page would be served over https.
    http = createServer((req, res) => {
      const file = req.url === "/sdk.js" ? "sdk.js" : "index.html";
      readFile(join(dir, file)).then(
        (body) => res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // No background traffic: this machine's network reaches package registries only.
      args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  /** Syncs keys and revocations from the platform as a scanner does, then verifies `code` inside the page. */
  async function verifyInPage(code: string, opts: { eventId?: string; synced?: boolean } = {}): Promise<PageVerdict> {
    const { keys, revocations } = await gate.admission.getVerificationKeys({});
    const args = {
      code,
      eventId: opts.eventId ?? eventId,
      keys: keys.map((k) => ({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey).toString("base64") })),
      revocations: opts.synced === false ? [] : revocations.map((r) => r.ticketId),
    };
    return page.evaluate(async ({ code, eventId, keys, revocations }) => {
      const sdk = (globalThis as unknown as { TicketingSdk: typeof import("@ticketing/sdk/web") }).TicketingSdk;
      const decoded = keys.map((k) => ({ keyId: k.keyId, publicKey: Uint8Array.from(atob(k.publicKey), (c) => c.charCodeAt(0)) }));
      const verdict = await sdk.verifyTicketCode(code, decoded, revocations, { eventId });
      return {
        valid: verdict.valid,
        ...(verdict.valid ? {} : { reason: verdict.reason }),
        ...(verdict.ticket ? { ticketId: verdict.ticket.ticketId } : {}),
        userAgent: navigator.userAgent,
      };
    }, args);
  }

  it("runs in Chromium, not in Node: the page has no process and speaks WebCrypto", async () => {
    const facts = await page.evaluate(() => ({
      node: typeof (globalThis as { process?: unknown }).process !== "undefined",
      secure: globalThis.isSecureContext,
      subtle: typeof globalThis.crypto?.subtle?.verify === "function",
    }));
    expect(facts).toEqual({ node: false, secure: true, subtle: true });
  });

  it("a genuine code issued by the platform verifies", async () => {
    const verdict = await verifyInPage(genuine);
    expect(verdict).toMatchObject({ valid: true });
    expect(verdict.userAgent).toMatch(/HeadlessChrome\/\d+/);
  });

  it("a tampered code fails: one bit of the payload flipped", async () => {
    const bytes = Buffer.from(genuine, "base64url");
    bytes[10] = (bytes[10] as number) ^ 0x01;
    expect(await verifyInPage(bytes.toString("base64url"))).toMatchObject({ valid: false, reason: "BAD_SIGNATURE" });
  });

  it("a forged code fails: the genuine payload and key id, signed with another key", async () => {
    const envelope = fromBinary(pb.TicketCodeSchema, Buffer.from(genuine, "base64url"));
    const signature = sign(null, envelope.payload, generateKeyPairSync("ed25519").privateKey);
    const forged = Buffer.from(toBinary(pb.TicketCodeSchema, create(pb.TicketCodeSchema, { payload: envelope.payload, signature }))).toString("base64url");
    expect(await verifyInPage(forged)).toMatchObject({ valid: false, reason: "BAD_SIGNATURE" });
  });

  it("a genuine code for another event is refused at this event's gate", async () => {
    expect(await verifyInPage(genuine, { eventId: "00000000-0000-4000-8000-000000000000" })).toMatchObject({ valid: false, reason: "WRONG_EVENT" });
  });

  it("a revoked code verifies until the revocation list is synced, and is refused once it is", async () => {
    await t.admin.admission.revokeTicket({ ticketId: revokedTicketId, reason: "refunded" });
    expect(await verifyInPage(revoked, { synced: false })).toMatchObject({ valid: true });
    expect(await verifyInPage(revoked)).toMatchObject({ valid: false, reason: "REVOKED", ticketId: revokedTicketId });
    // The other ticket of the order is untouched.
    expect(await verifyInPage(genuine)).toMatchObject({ valid: true });
  });
});
