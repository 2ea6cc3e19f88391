import { Code, admission, checkout, payment, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_CARDS, TEST_PSP_SIGNATURE_HEADER } from "./payment/providers/test-psp.js";
import { signWebhook } from "./payment/providers/signature.js";
import { createEventWith, eventually, kafkaEnv, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// Payments end to end on real PostgreSQL and Kafka: the buyer's browser is played by plain HTTP requests to the test
// PSP's hosted page, the PSP calls the platform's signed webhook over HTTP, and the order changes through checkout.

const SECRET = randomBytes(32).toString("hex");
const SHOP = "http://shop.test:5173";
let t: TestPlatform;
let webhookUrl: string;

beforeAll(async () => {
  t = await startTestPlatform({
    env: { ...kafkaEnv(), TICKETING_PAYMENT_WEBHOOK_SECRET: SECRET, TICKETING_CORS_ORIGINS: SHOP },
  });
  webhookUrl = `${t.platform.url}/webhooks/payments/test`;
});
afterAll(async () => {
  await t?.close();
});

/** A PENDING_PAYMENT order of `quantity` tickets (at 2500 EUR cents) for `buyer`, and its payment intent. */
async function pendingOrder(buyer: string, quantity = 2) {
  const { ticketIds } = await createEventWith(t.admin, 10, { priceMinor: 2500n });
  const client = t.customer(buyer);
  await client.checkout.addToCart({ ticketId: ticketIds[0]!, quantity });
  const { order } = await client.checkout.placeOrder({});
  const { paymentIntent } = await client.payments.createPaymentIntent({ orderId: order!.id, returnUrl: `${SHOP}/orders/${order!.id}` });
  return { client, order: order!, intent: paymentIntent!, ticketId: ticketIds[0]! };
}

/** Submits the hosted page's form, as a browser would. */
const submit = (url: string, fields: Record<string, string>) =>
  fetch(url, { method: "POST", body: new URLSearchParams(fields), redirect: "manual" });

const orderOf = async (client: TicketingClient, orderId: string) => (await client.checkout.getOrder({ orderId })).order!;
const intentOf = async (client: TicketingClient, orderId: string) => (await client.payments.getPaymentIntent({ orderId })).paymentIntent!;
const until = <T>(what: string, check: () => Promise<T | undefined>) => eventually(check, 15_000, what);

async function handledEvents(): Promise<number> {
  const c = new pg.Client({ connectionString: t.db.url });
  await c.connect();
  try {
    return Number((await c.query("select count(*) from payment.webhook_event")).rows[0].count);
  } finally {
    await c.end();
  }
}

const postWebhook = (body: string, signature: string | undefined) =>
  fetch(webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature ? { [TEST_PSP_SIGNATURE_HEADER]: signature } : {}) },
    body,
  });

const event = (type: string, reference: string, id = `tev_${randomBytes(8).toString("hex")}`) =>
  JSON.stringify({ id, type, created: Math.floor(Date.now() / 1000), data: { reference, failure_message: "" } });

describe("payment intents", () => {
  it("take the amount from the order and send the buyer to the provider's page; one intent per order", async () => {
    const { client, order, intent } = await pendingOrder("pay-alice", 3);
    expect(intent.amount).toMatchObject({ amountMinor: 7500n, currency: "EUR" });
    expect(intent.status).toBe(payment.PaymentStatus.REQUIRES_PAYMENT);
    expect(intent.orderId).toBe(order.id);
    const page = await fetch(intent.checkoutUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("€75.00");
    const again = await client.payments.createPaymentIntent({ orderId: order.id });
    expect(again.paymentIntent?.id).toBe(intent.id);
  });

  it("are refused for another buyer's order, a foreign return URL and an order not awaiting payment", async () => {
    const { order } = await pendingOrder("pay-owner");
    const other = toTicketingError(await t.customer("pay-intruder").payments.createPaymentIntent({ orderId: order.id }).catch((e: unknown) => e));
    expect(other.code).toBe(Code.NotFound);
    const foreign = toTicketingError(
      await t.customer("pay-owner").payments.createPaymentIntent({ orderId: order.id, returnUrl: "https://evil.example/steal" }).catch((e: unknown) => e),
    );
    expect(foreign.code).toBe(Code.InvalidArgument);

    const { ticketIds } = await createEventWith(t.admin, 5);
    const buyer = t.customer("pay-canceller");
    await buyer.checkout.addToCart({ ticketId: ticketIds[0]!, quantity: 1 });
    const { order: placed } = await buyer.checkout.placeOrder({});
    await buyer.checkout.cancelOrder({ orderId: placed!.id });
    const cancelled = toTicketingError(await buyer.payments.createPaymentIntent({ orderId: placed!.id }).catch((e: unknown) => e));
    expect(cancelled.code).toBe(Code.FailedPrecondition);
    expect(cancelled.details.stateConflict?.currentState).toBe("ORDER_STATUS_CANCELLED");
  });
});

describe("the hosted page and the webhook", () => {
  it("success card: redirect to the shop, the webhook marks the order PAID with the provider's reference", async () => {
    const { client, order, intent, ticketId } = await pendingOrder("pay-bob");
    const res = await submit(intent.checkoutUrl, { card: "4242 4242 4242 4242" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${SHOP}/orders/${order.id}`);
    const paid = await until("order paid", async () => {
      const o = await orderOf(client, order.id);
      return o.status === checkout.OrderStatus.PAID ? o : undefined;
    });
    expect(paid.paymentReference).toBe(intent.providerReference);
    // The order is paid first; the intent records the success in the transaction that marks the event handled.
    await until("intent succeeded", async () => ((await intentOf(client, order.id)).status === payment.PaymentStatus.SUCCEEDED ? true : undefined));
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ sold: 2, held: 0 });
  });

  it("declined card: the order stays payable, and another card on the same page pays it", async () => {
    const { client, order, intent } = await pendingOrder("pay-carol");
    const declined = await submit(intent.checkoutUrl, { card: TEST_CARDS.decline });
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain("declined");
    const failed = await until("intent failed", async () => {
      const i = await intentOf(client, order.id);
      return i.status === payment.PaymentStatus.FAILED ? i : undefined;
    });
    expect(failed.statusReason).toContain("declined");
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.PENDING_PAYMENT);

    await submit(intent.checkoutUrl, { card: TEST_CARDS.success });
    await until("order paid", async () => ((await orderOf(client, order.id)).status === checkout.OrderStatus.PAID ? true : undefined));
  });

  it("authentication card: a second step on the page; completing it pays the order", async () => {
    const { client, order, intent } = await pendingOrder("pay-dave");
    const step = await submit(intent.checkoutUrl, { card: TEST_CARDS.authenticate });
    expect(await step.text()).toContain("Complete authentication");
    await until("intent requires action", async () =>
      (await intentOf(client, order.id)).status === payment.PaymentStatus.REQUIRES_ACTION ? true : undefined,
    );
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    await submit(`${intent.checkoutUrl}/authenticate`, { outcome: "complete" });
    await until("order paid", async () => ((await orderOf(client, order.id)).status === checkout.OrderStatus.PAID ? true : undefined));
  });

  it("bad signatures are 401 and change nothing", async () => {
    const { client, order, intent } = await pendingOrder("pay-eve");
    const before = await handledEvents();
    const body = event("payment.succeeded", intent.providerReference);
    const now = Math.floor(Date.now() / 1000);
    const refusals = [
      await postWebhook(body, undefined),
      await postWebhook(body, signWebhook(randomBytes(32).toString("hex"), body)),
      await postWebhook(body, signWebhook(SECRET, body, now - 3600)),
      await postWebhook(body, signWebhook(SECRET, body, now + 3600)),
      await postWebhook(body.replace("payment.succeeded", "payment.failed"), signWebhook(SECRET, body)),
      await postWebhook(body, "t=not-a-time,v1=00"),
      await postWebhook(body, `t=${now},v1=${"0".repeat(64)}`),
    ];
    expect(refusals.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(await handledEvents()).toBe(before);
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.PENDING_PAYMENT);
    expect((await intentOf(client, order.id)).status).toBe(payment.PaymentStatus.REQUIRES_PAYMENT);
  });

  it("an event is handled once by its id; a late decline does not undo a success", async () => {
    const { client, order, intent } = await pendingOrder("pay-frank");
    const body = event("payment.succeeded", intent.providerReference);
    const first = await postWebhook(body, signWebhook(SECRET, body));
    expect([first.status, await first.text()]).toEqual([200, "ok\n"]);
    // The same event again (a redelivery, freshly signed), and twice at once.
    const again = await Promise.all([postWebhook(body, signWebhook(SECRET, body)), postWebhook(body, signWebhook(SECRET, body))]);
    expect(await Promise.all(again.map((r) => r.text()))).toEqual(["duplicate\n", "duplicate\n"]);
    const late = event("payment.failed", intent.providerReference);
    expect((await postWebhook(late, signWebhook(SECRET, late))).status).toBe(200);
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.PAID);
    expect((await intentOf(client, order.id)).status).toBe(payment.PaymentStatus.SUCCEEDED);
  });

  it("a success after the order expired is refunded automatically, and the intent says so", async () => {
    const { client, order, intent, ticketId } = await pendingOrder("pay-grace");
    const { bookings } = await t.admin.bookings.getBookings({ orderId: order.id });
    await t.admin.bookings.expireBookings({ bookingIds: bookings.map((b) => b.id) });
    await until("order expired", async () => ((await orderOf(client, order.id)).status === checkout.OrderStatus.EXPIRED ? true : undefined));

    await submit(intent.checkoutUrl, { card: TEST_CARDS.success });
    const refunded = await until("late payment refunded", async () => {
      const i = await intentOf(client, order.id);
      return i.status === payment.PaymentStatus.REFUNDED ? i : undefined;
    });
    expect(refunded.statusReason).toMatch(/after the order had ended \(ORDER_STATUS_EXPIRED\).*refunded automatically/);
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.EXPIRED);
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ sold: 0, held: 0, available: 10 });
  });
});

describe("RefundOrder", () => {
  it("refunds a paid order (admin only): the order and the payment end REFUNDED, its tickets are revoked, the seats stay sold", async () => {
    const { client, order, intent, ticketId } = await pendingOrder("pay-heidi");
    const denied = toTicketingError(await client.payments.refundOrder({ orderId: order.id, reason: "mine" }).catch((e: unknown) => e));
    expect(denied.code).toBe(Code.PermissionDenied);
    const early = toTicketingError(await t.admin.payments.refundOrder({ orderId: order.id, reason: "too early" }).catch((e: unknown) => e));
    expect(early.code).toBe(Code.FailedPrecondition);

    await submit(intent.checkoutUrl, { card: TEST_CARDS.success });
    await until("order paid", async () => ((await orderOf(client, order.id)).status === checkout.OrderStatus.PAID ? true : undefined));
    const issued = await until("tickets issued", async () => {
      const { tickets } = await t.admin.admission.listTickets({ orderId: order.id });
      return tickets.length === 2 ? tickets : undefined;
    });
    expect(issued.every((ticket) => ticket.status === admission.TicketStatus.VALID)).toBe(true);
    const refund = await t.admin.payments.refundOrder({ orderId: order.id, reason: "event moved" });
    expect(refund.order?.status).toBe(checkout.OrderStatus.REFUNDED);
    expect(refund.order?.statusReason).toContain("event moved");
    expect(refund.paymentIntent?.status).toBe(payment.PaymentStatus.REFUNDED);
    const again = await t.admin.payments.refundOrder({ orderId: order.id, reason: "event moved" });
    expect(again.order?.status).toBe(checkout.OrderStatus.REFUNDED);
    expect((await orderOf(client, order.id)).status).toBe(checkout.OrderStatus.REFUNDED);
    expect((await t.admin.bookings.getStock({ ticketId })).stock).toMatchObject({ sold: 2 });
    const { tickets } = await t.admin.admission.listTickets({ orderId: order.id });
    expect(tickets.map((ticket) => ticket.status)).toEqual([admission.TicketStatus.REVOKED, admission.TicketStatus.REVOKED]);
  });
});
