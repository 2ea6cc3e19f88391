import { createHmac, timingSafeEqual } from "node:crypto";
import { WebhookRejected } from "./provider.js";

// Webhook signatures in the scheme most PSPs use (Stripe's among them): a header `t=<unix seconds>,v1=<hex>` where
// the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Signing the timestamp with the body lets the receiver refuse a
// replayed request outside the window; comparing in constant time leaks nothing about the expected signature.

/** The header value for `body` signed at `at` (unix seconds). */
export function signWebhook(secret: string, body: Buffer | string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${hmac(secret, at, body)}`;
}

/** Throws WebhookRejected unless `header` is a valid signature of `body` made within `toleranceSeconds` of now. */
export function verifyWebhook(secret: string, body: Buffer, header: string | undefined, toleranceSeconds: number, now = Date.now()): void {
  if (!header) throw new WebhookRejected("no signature header");
  let at: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value !== undefined && /^\d{1,12}$/.test(value)) at = Number(value);
    if (key === "v1" && value !== undefined) candidates.push(value);
  }
  if (at === undefined || candidates.length === 0) throw new WebhookRejected("malformed signature header");
  if (Math.abs(now / 1000 - at) > toleranceSeconds) throw new WebhookRejected("signature timestamp outside the replay window");
  const expected = Buffer.from(hmac(secret, at, body), "hex");
  // Several v1 values are allowed while a secret is being rotated; any match will do, every one is compared in full.
  let match = false;
  for (const candidate of candidates) {
    const given = /^[0-9a-f]{64}$/i.test(candidate) ? Buffer.from(candidate, "hex") : Buffer.alloc(expected.length);
    if (timingSafeEqual(given, expected)) match = true;
  }
  if (!match) throw new WebhookRejected("signature does not match");
}

function hmac(secret: string, at: number, body: Buffer | string): string {
  return createHmac("sha256", secret).update(`${at}.`).update(body).digest("hex");
}
