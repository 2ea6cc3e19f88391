// The buyers: each fills a cart with one or two ticket types, places the order, and then pays (half the orders),
// cancels (a quarter) or walks away and lets it expire (a quarter), over and over until told to stop. They use
// @ticketing/sdk as an application would: the SDK's own retries (same idempotency key) and, above them, a buyer who
// tries again for a while when the answer was UNAVAILABLE or DEADLINE_EXCEEDED — with the same key, so a retry
// across a server restart still applies the change once. Every error that reaches a buyer is counted by RPC and code.
import { Code, checkout, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { mintToken, sleep } from "../bench/onsale-infra.js";
import { serviceClient } from "../platform/clients.js";

/** A call still unanswered after this long is counted as hung (and the suite fails): no RPC should take that. */
const HUNG_MS = 60_000;
/** How long a buyer keeps trying an action that failed with UNAVAILABLE or DEADLINE_EXCEEDED before giving up. */
const PATIENCE_MS = 20_000;
const RETRYABLE = new Set([Code.Unavailable, Code.DeadlineExceeded]);
/** One attempt's deadline: the SDK's default. */
const CALL_TIMEOUT_MS = 10_000;

export type Rpc = "AddToCart" | "GetUserCart" | "UpdateCart" | "PlaceOrder" | "MarkOrderAsPaid" | "CancelOrder";

export interface LoadOptions {
  /** Checkout's address, or its replicas' (each buyer's calls then take them in turn, skipping one that is down). */
  checkoutUrl: string | readonly string[];
  secret: string;
  ticketIds: readonly string[];
  buyers: number;
  /** Distinguishes this load's buyers from other scenarios'. */
  label: string;
}

/** One answered PlaceOrder that placed an order: when it was asked and when it was answered (epoch ms). */
export interface Placement {
  startedAt: number;
  endedAt: number;
}

export class Load {
  /** Errors that reached a buyer, by RPC and gRPC code name. */
  readonly errors = new Map<Rpc, Map<string, number>>();
  /** Successful calls by RPC. */
  readonly calls = new Map<Rpc, number>();
  readonly placements: Placement[] = [];
  /** Orders whose payment, or cancellation, a buyer was told succeeded. */
  readonly paid = new Set<string>();
  readonly cancelled = new Set<string>();
  readonly placed = new Set<string>();
  /** Actions abandoned after PATIENCE_MS of UNAVAILABLE or DEADLINE_EXCEEDED. */
  gaveUp = 0;
  readonly #inFlight = new Map<Rpc, number>();
  #stopping = false;
  #buyers: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  inFlight(rpc: Rpc): number {
    return this.#inFlight.get(rpc) ?? 0;
  }

  async start(): Promise<void> {
    const urls = typeof this.options.checkoutUrl === "string" ? [this.options.checkoutUrl] : this.options.checkoutUrl;
    const adminToken = await mintToken(this.options.secret, "faults-payments", "admin");
    const admin = serviceClient(() => urls, async () => adminToken, CALL_TIMEOUT_MS);
    const tokens = await Promise.all(
      Array.from({ length: this.options.buyers }, (_, i) => mintToken(this.options.secret, `${this.options.label}-buyer-${i}`, "customer")),
    );
    this.#buyers = tokens.map((token, i) => {
      const client = serviceClient(() => urls, async () => token, CALL_TIMEOUT_MS);
      return this.#buyer(i, client, admin);
    });
  }

  /** Buyers finish what they are doing (an order placed is still paid, cancelled or left), then stop. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#buyers);
  }

  async #buyer(i: number, client: TicketingClient, admin: TicketingClient): Promise<void> {
    const ids = this.options.ticketIds;
    // Spread the buyers' first steps, so they do not all arrive in the same millisecond.
    await sleep(Math.random() * 1000);
    let cartDirty = false;
    for (let n = 0; !this.#stopping; n++) {
      if (cartDirty) {
        // A placement that did not go through left the cart as it was: empty it, as a buyer who starts over would.
        const emptied = await this.#emptyCart(client);
        if (!emptied) {
          await sleep(1000);
          continue;
        }
        cartDirty = false;
      }
      const first = ids[(i + n) % ids.length]!;
      // Every third order of a buyer spans two ticket types: the multi-row locking paths (hold, confirm, release,
      // expire). Decided on the buyer's own count, not on the type chosen, so every type is also asked for alone (in
      // ones and twos): once one type sells out, the others can still sell to their last seat.
      const lines = n % 3 === 2 ? [first, ids[(i + n + 1) % ids.length]!] : [first];
      let added = true;
      let soldOut = false;
      for (const ticketId of lines) {
        const quantity = 1 + ((i + n) % 2);
        const key = randomUUID();
        const r = await this.#call("AddToCart", () => client.checkout.addToCart({ ticketId, quantity, idempotencyKey: key }, this.#opts()));
        if (!r.ok) {
          added = false;
          if (r.code === Code.ResourceExhausted) soldOut = true;
        }
      }
      if (!added) {
        cartDirty = true;
        // Sold out for now: a buyer looks again a little later (seats come back when unpaid orders end).
        if (soldOut) await sleep(1000 + Math.random() * 1000);
        continue;
      }
      const order = await this.#place(client);
      if (!order) {
        cartDirty = true;
        await sleep(500 + Math.random() * 500);
        continue;
      }
      if (order.status !== checkout.OrderStatus.PENDING_PAYMENT) continue;
      await sleep(200 + Math.random() * 1300);
      const fate = (i * 7 + n) % 4;
      if (fate < 2) {
        const key = randomUUID();
        const paymentReference = `psp-${order.id}`;
        const r = await this.#call("MarkOrderAsPaid", () =>
          admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference, idempotencyKey: key }, this.#opts()),
        );
        if (r.ok) this.paid.add(order.id);
      } else if (fate === 2) {
        const key = randomUUID();
        const r = await this.#call("CancelOrder", () => client.checkout.cancelOrder({ orderId: order.id, idempotencyKey: key }, this.#opts()));
        if (r.ok) this.cancelled.add(order.id);
      }
      await sleep(300 + Math.random() * 700);
    }
  }

  /**
   * PlaceOrder as a careful app does it. After UNAVAILABLE or DEADLINE_EXCEEDED the outcome is unknown, so it looks
   * at the cart: still full means no order took it (never placed, or FAILED and given back), so a new attempt gets
   * a new key; empty means an order holds it, possibly still PLACING on a server that died, so the same key
   * is sent again to finish that very order.
   */
  async #place(client: TicketingClient): Promise<checkout.Order | undefined> {
    const until = Date.now() + PATIENCE_MS;
    let key = randomUUID();
    for (;;) {
      const startedAt = Date.now();
      const r = await this.#call("PlaceOrder", () => client.checkout.placeOrder({ idempotencyKey: key }, this.#opts()), false);
      if (r.ok) {
        const order = r.value.order;
        if (!order) throw new Error("PlaceOrder answered without an order");
        this.placed.add(order.id);
        this.placements.push({ startedAt, endedAt: Date.now() });
        return order;
      }
      if (!RETRYABLE.has(r.code) || Date.now() > until) {
        if (RETRYABLE.has(r.code)) this.gaveUp++;
        return undefined;
      }
      await sleep(1000);
      const cart = await this.#call("GetUserCart", () => client.checkout.getUserCart({}, this.#opts()), false);
      if (cart.ok && (cart.value.cart?.items.length ?? 0) > 0) key = randomUUID();
    }
  }

  async #emptyCart(client: TicketingClient): Promise<boolean> {
    const cart = await this.#call("GetUserCart", () => client.checkout.getUserCart({}, this.#opts()));
    if (!cart.ok) return false;
    for (const item of cart.value.cart?.items ?? []) {
      const key = randomUUID();
      const r = await this.#call("UpdateCart", () =>
        client.checkout.updateCart({ ticketId: item.ticketId, quantity: 0, idempotencyKey: key }, this.#opts()),
      );
      if (!r.ok) return false;
    }
    return true;
  }

  #opts() {
    return { signal: AbortSignal.timeout(HUNG_MS) };
  }

  /**
   * One call as the buyer sees it: its answer, or its error counted. With `patience`, UNAVAILABLE and
   * DEADLINE_EXCEEDED are tried again (by `attempt`, which closes over the same idempotency key) for PATIENCE_MS.
   */
  async #call<T>(rpc: Rpc, attempt: () => Promise<T>, patience = true): Promise<{ ok: true; value: T } | { ok: false; code: Code }> {
    const until = Date.now() + PATIENCE_MS;
    for (;;) {
      this.#inFlight.set(rpc, this.inFlight(rpc) + 1);
      const startedAt = Date.now();
      try {
        const value = await attempt();
        this.calls.set(rpc, (this.calls.get(rpc) ?? 0) + 1);
        return { ok: true, value };
      } catch (err) {
        const e = toTicketingError(err);
        // Our own safety net fired: the call hung. That is not a code any server sent.
        const hung = e.code === Code.Canceled && Date.now() - startedAt >= HUNG_MS - 100;
        this.#count(rpc, hung ? "HUNG" : e.codeName);
        if (!patience || !RETRYABLE.has(e.code)) return { ok: false, code: e.code };
        if (Date.now() > until) {
          this.gaveUp++;
          return { ok: false, code: e.code };
        }
      } finally {
        this.#inFlight.set(rpc, this.inFlight(rpc) - 1);
      }
      await sleep(1000);
    }
  }

  #count(rpc: Rpc, code: string): void {
    let byCode = this.errors.get(rpc);
    if (!byCode) this.errors.set(rpc, (byCode = new Map()));
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
}
