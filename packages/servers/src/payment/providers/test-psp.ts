import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../platform/logger.js";
import type { ProviderEvent, ProviderEventType } from "../domain/payment.js";
import { WebhookRejected, type PaymentProvider } from "./provider.js";
import { signWebhook, verifyWebhook } from "./signature.js";

// The built-in test payment provider: a small PSP with a hosted payment page, for development, the storefront and
// the tests. It takes no money. Cards, as with real PSPs' test modes:
//   4242 4242 4242 4242  succeeds
//   4000 0000 0000 0002  is declined
//   4000 0000 0000 3220  needs a second step (authentication) on the page, which the buyer completes or fails
// Every outcome reaches the platform the way a real PSP's would: a signed webhook over HTTP, retried with backoff
// until the platform answers 2xx. Its payments live in memory: a restart forgets them.

export const TEST_CARDS = { success: "4242424242424242", decline: "4000000000000002", authenticate: "4000000000003220" } as const;

/** Header the test PSP signs its webhooks in (`t=<unix>,v1=<hex>`). */
export const TEST_PSP_SIGNATURE_HEADER = "test-psp-signature";

interface Payment {
  reference: string;
  intentId: string;
  orderId: string;
  amountMinor: bigint;
  currency: string;
  description: string;
  returnUrl: string | undefined;
  state: "open" | "authenticating" | "succeeded" | "refunded";
  declined: boolean;
  refunds: Map<string, string>;
}

export interface TestPspOptions {
  host: string;
  port: number;
  secret: string;
  /** Where to post events; asked at each delivery (the platform's address is known only once it listens). */
  webhookUrl: () => string;
  toleranceSeconds: number;
  logger: Logger;
  /** Delivery attempts per event. Default 6 (about 30 s of backoff). */
  maxAttempts?: number;
}

/** The test PSP: its hosted page server, and its adapter (the PaymentProvider the payment service uses). */
export class TestPsp implements PaymentProvider {
  readonly name = "test";
  readonly #payments = new Map<string, Payment>();
  readonly #server: http.Server;
  #url = "";
  readonly #deliveries = new Set<Promise<void>>();
  #closed = false;

  private constructor(private readonly options: TestPspOptions) {
    this.#server = http.createServer((req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        options.logger.error({ err }, "test PSP request failed");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  static async start(options: TestPspOptions): Promise<TestPsp> {
    const psp = new TestPsp(options);
    await new Promise<void>((resolve, reject) => {
      psp.#server.once("error", reject);
      psp.#server.listen(options.port, options.host, () => resolve());
    });
    const host = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;
    psp.#url = `http://${host}:${(psp.#server.address() as AddressInfo).port}`;
    return psp;
  }

  /** The hosted page's base URL. */
  get url(): string {
    return this.#url;
  }

  async createPayment(input: Parameters<PaymentProvider["createPayment"]>[0]): Promise<{ reference: string; checkoutUrl: string }> {
    const reference = `tpi_${randomUUID().replaceAll("-", "")}`;
    this.#payments.set(reference, { ...input, reference, state: "open", declined: false, refunds: new Map() });
    return { reference, checkoutUrl: `${this.#url}/pay/${reference}` };
  }

  async refund(input: Parameters<PaymentProvider["refund"]>[0]): Promise<{ refundReference: string }> {
    const payment = this.#payments.get(input.reference);
    if (!payment || (payment.state !== "succeeded" && payment.state !== "refunded")) {
      throw new Error(`test PSP: payment ${input.reference} has not succeeded and cannot be refunded`);
    }
    if (input.amountMinor !== payment.amountMinor || input.currency !== payment.currency) {
      throw new Error(`test PSP: refund of ${input.amountMinor} ${input.currency} does not match the payment`);
    }
    let refundReference = payment.refunds.get(input.idempotencyKey);
    if (!refundReference) {
      if (payment.state === "refunded") throw new Error(`test PSP: payment ${input.reference} is already refunded`);
      refundReference = `tre_${randomUUID().replaceAll("-", "")}`;
      payment.refunds.set(input.idempotencyKey, refundReference);
      payment.state = "refunded";
    }
    return { refundReference };
  }

  parseWebhook(rawBody: Buffer, header: (name: string) => string | undefined): ProviderEvent | undefined {
    verifyWebhook(this.options.secret, rawBody, header(TEST_PSP_SIGNATURE_HEADER), this.options.toleranceSeconds);
    let parsed: { id?: unknown; type?: unknown; data?: { reference?: unknown; failure_message?: unknown } };
    try {
      parsed = JSON.parse(rawBody.toString("utf8"));
    } catch {
      throw new WebhookRejected("body is not JSON");
    }
    if (typeof parsed.id !== "string" || typeof parsed.type !== "string" || typeof parsed.data?.reference !== "string") {
      throw new WebhookRejected("not a test PSP event");
    }
    const types: readonly string[] = ["payment.succeeded", "payment.failed", "payment.requires_action"];
    if (!types.includes(parsed.type)) return undefined;
    return {
      id: parsed.id,
      type: parsed.type as ProviderEventType,
      reference: parsed.data.reference,
      failureMessage: typeof parsed.data.failure_message === "string" ? parsed.data.failure_message : "",
    };
  }

  /** Stops the page server after the deliveries under way have finished or given up. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.allSettled([...this.#deliveries]);
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.#url);
    const match = /^\/pay\/(tpi_[0-9a-f]{32})(\/authenticate)?$/.exec(url.pathname);
    const payment = match ? this.#payments.get(match[1] as string) : undefined;
    if (!match || !payment) return page(res, 404, "Payment not found", `<p>This payment link is not valid.</p>`);
    if (req.method === "GET") return this.#render(res, payment, "");
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "GET, POST" }).end();
      return;
    }
    const form = new URLSearchParams(await readBody(req, 4096));
    if (match[2]) return this.#authenticate(res, payment, form.get("outcome") === "complete");
    if (payment.state !== "open") return this.#render(res, payment, "");
    const card = (form.get("card") ?? "").replace(/[\s-]/g, "");
    switch (card) {
      case TEST_CARDS.success:
        return this.#succeed(res, payment);
      case TEST_CARDS.decline:
        payment.declined = true;
        this.#emit("payment.failed", payment, "Your card was declined.");
        return this.#render(res, payment, "Your card was declined. Try another card.", 402);
      case TEST_CARDS.authenticate:
        payment.state = "authenticating";
        this.#emit("payment.requires_action", payment);
        return this.#render(res, payment, "");
      default:
        return this.#render(res, payment, "Use a test card: 4242 4242 4242 4242, 4000 0000 0000 0002 or 4000 0000 0000 3220.", 400);
    }
  }

  #authenticate(res: http.ServerResponse, payment: Payment, complete: boolean): void {
    if (payment.state !== "authenticating") return this.#render(res, payment, "");
    if (complete) return this.#succeed(res, payment);
    payment.state = "open";
    payment.declined = true;
    this.#emit("payment.failed", payment, "The card's authentication failed.");
    return this.#render(res, payment, "Authentication failed. Try another card.", 402);
  }

  #succeed(res: http.ServerResponse, payment: Payment): void {
    payment.state = "succeeded";
    this.#emit("payment.succeeded", payment);
    if (payment.returnUrl) {
      res.writeHead(303, { location: payment.returnUrl }).end();
      return;
    }
    this.#render(res, payment, "");
  }

  #render(res: http.ServerResponse, payment: Payment, error: string, status = 200): void {
    const amount = formatAmount(payment.amountMinor, payment.currency);
    const back = payment.returnUrl ? `<p><a href="${escape(payment.returnUrl)}">Return to the shop</a></p>` : "";
    const alert = error ? `<p role="alert" class="error">${escape(error)}</p>` : "";
    let body: string;
    if (payment.state === "succeeded") {
      body = `<p role="status">Payment of ${amount} succeeded.</p>${back}`;
    } else if (payment.state === "refunded") {
      body = `<p role="status">This payment was refunded.</p>${back}`;
    } else if (payment.state === "authenticating") {
      body = `<p>Your bank asks you to confirm this payment of ${amount}.</p>
<form method="post" action="/pay/${payment.reference}/authenticate">
  <button name="outcome" value="complete">Complete authentication</button>
  <button name="outcome" value="fail">Fail authentication</button>
</form>`;
    } else {
      body = `${alert}<form method="post" action="/pay/${payment.reference}">
  <label for="card">Card number</label>
  <input id="card" name="card" inputmode="numeric" autocomplete="cc-number" required placeholder="4242 4242 4242 4242">
  <button type="submit">Pay ${amount}</button>
</form>
<p class="hint">Test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 asks for authentication.</p>${back}`;
    }
    page(res, status, `Pay ${amount}`, `<p class="what">${escape(payment.description)}</p>${body}`);
  }

  /** Sends an event to the platform, signed, in the background; retried with backoff until a 2xx or the last attempt. */
  #emit(type: ProviderEventType, payment: Payment, failureMessage = ""): void {
    const body = JSON.stringify({
      id: `tev_${randomUUID().replaceAll("-", "")}`,
      type,
      created: Math.floor(Date.now() / 1000),
      data: { reference: payment.reference, intent_id: payment.intentId, order_id: payment.orderId, amount: String(payment.amountMinor), currency: payment.currency, failure_message: failureMessage },
    });
    const delivery = this.#deliver(body).finally(() => this.#deliveries.delete(delivery));
    this.#deliveries.add(delivery);
  }

  async #deliver(body: string): Promise<void> {
    const attempts = this.options.maxAttempts ?? 6;
    for (let attempt = 1; attempt <= attempts && !this.#closed; attempt++) {
      try {
        // Signed at each attempt, as real PSPs do: a retry is not refused as a replay.
        const res = await fetch(this.options.webhookUrl(), {
          method: "POST",
          headers: { "content-type": "application/json", [TEST_PSP_SIGNATURE_HEADER]: signWebhook(this.options.secret, body) },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) return;
        this.options.logger.warn({ status: res.status, attempt }, "test PSP: webhook refused");
      } catch (err) {
        this.options.logger.warn({ err, attempt }, "test PSP: webhook delivery failed");
      }
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** attempt, 10_000)));
    }
  }
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new Error("request body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function formatAmount(amountMinor: bigint, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    const unit = 10n ** BigInt(digits);
    const decimal = digits === 0 ? `${amountMinor}` : `${amountMinor / unit}.${(amountMinor % unit).toString().padStart(digits, "0")}`;
    return format.format(decimal as unknown as number);
  } catch {
    return `${amountMinor} ${currency} (minor units)`;
  }
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

function page(res: http.ServerResponse, status: number, title: string, content: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY" });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Test PSP</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.3rem}.badge{background:#fde68a;border-radius:4px;padding:0 .4rem;font-size:.8rem}
label{display:block;font-weight:600;margin-top:1rem}input{font:inherit;width:100%;padding:.6rem;box-sizing:border-box;margin:.3rem 0 1rem}
button{font:inherit;padding:.6rem 1rem;margin:.2rem .4rem .2rem 0;border-radius:6px;border:1px solid #1e40af;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error{color:#b91c1c;font-weight:600}.hint{color:#555;font-size:.85rem}
</style></head>
<body><main><h1>Test PSP <span class="badge">test mode</span></h1>${content}</main></body></html>`);
}
