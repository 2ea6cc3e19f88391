import type { checkout } from "@ticketing/sdk";
import type { Caller } from "../platform/auth.js";
import { detached, transaction, type Em } from "../platform/db.js";
import { DomainError, notFound, stateConflict } from "../platform/errors.js";
import { uuidv7 } from "../platform/ids.js";
import type { Logger } from "../platform/logger.js";
import { assertRefundable, type PaymentSnapshot, type PaymentStatus, type ProviderEvent } from "./domain/payment.js";
import type { PaymentProvider } from "./providers/provider.js";
import { WebhookRejected } from "./providers/provider.js";
import * as repo from "./repository.js";

/** An order as the payment service needs it. */
export interface OrderInfo {
  id: string;
  userId: string;
  /** The checkout state's name: PENDING_PAYMENT, PAID, EXPIRED, … */
  status: string;
  totalMinor: bigint;
  currency: string;
  description: string;
  /** The order as checkout answered, for the RPC answers that return it. */
  wire: checkout.Order;
}

/** What payments need from checkout, which owns the orders. */
export interface Orders {
  /** NOT_FOUND for an unknown order. */
  get(orderId: string): Promise<OrderInfo>;
  /** FAILED_PRECONDITION (a domain error with the order's state) when the order can no longer be paid. */
  markPaid(orderId: string, paymentReference: string): Promise<OrderInfo>;
  markRefunded(orderId: string, refundReference: string, reason: string): Promise<OrderInfo>;
}

/** Voids the tickets issued for an order (the admission service). */
export interface TicketRevocation {
  revokeOrder(orderId: string, reason: string): Promise<void>;
}

/** The answer to a webhook request: its HTTP status and a short text. */
export interface WebhookAnswer {
  status: number;
  body: string;
}

/** Use cases of payments: intents, the provider's webhook, refunds. */
export class PaymentService {
  private readonly em: Em;

  constructor(
    em: Em,
    private readonly orders: Orders,
    private readonly provider: PaymentProvider,
    private readonly tickets: TicketRevocation,
    /** Origins a return URL may point to (the storefronts the platform serves). */
    private readonly returnOrigins: readonly string[],
    private readonly logger: Logger,
  ) {
    this.em = detached(em);
  }

  /** The order's intent, created with the provider on the first call; the amount is the order's total. */
  async createIntent(caller: Caller, orderId: string, returnUrl: string): Promise<PaymentSnapshot> {
    if (returnUrl && !this.returnOrigins.includes(originOf(returnUrl))) {
      throw new DomainError("InvalidArgument", "return_url: its origin is not one of TICKETING_CORS_ORIGINS", {
        fieldViolations: [{ field: "return_url", description: "must point to an origin listed in TICKETING_CORS_ORIGINS" }],
      });
    }
    const order = await this.orders.get(orderId);
    if (order.userId !== caller.sub) throw notFound("order", orderId);
    const existing = await repo.byOrder(this.em, orderId);
    if (existing) return existing;
    if (order.status !== "PENDING_PAYMENT") {
      throw stateConflict(`order ${orderId} is ${order.status}: only an order awaiting payment can be paid`, `ORDER_STATUS_${order.status}`, "CreatePaymentIntent");
    }
    if (order.totalMinor <= 0n) throw new DomainError("FailedPrecondition", `order ${orderId} has nothing to pay`);
    const id = uuidv7();
    const { reference, checkoutUrl } = await this.provider.createPayment({
      intentId: id,
      orderId,
      amountMinor: order.totalMinor,
      currency: order.currency,
      description: order.description,
      returnUrl: returnUrl || undefined,
    });
    const now = new Date();
    // Two first calls at once may both open a payment with the provider; one intent is kept, the other payment is
    // never shown to anyone and lapses with the provider.
    return repo.insertOnce(this.em, {
      id,
      orderId,
      userId: order.userId,
      amountMinor: order.totalMinor,
      currency: order.currency,
      status: "REQUIRES_PAYMENT",
      provider: this.provider.name,
      providerReference: reference,
      checkoutUrl,
      statusReason: "",
      refundReference: "",
      createdAt: now,
      updatedAt: now,
    });
  }

  /** The order's intent, for its owner or an admin. */
  async intent(caller: Caller, orderId: string): Promise<PaymentSnapshot> {
    const payment = await repo.byOrder(this.em, orderId);
    if (!payment || (caller.role !== "admin" && payment.userId !== caller.sub)) throw notFound("payment for order", orderId);
    return payment;
  }

  /**
   * A provider event over the webhook. Refused with 401 (nothing changes) unless its signature checks out. Handled
   * once per provider event id: the effects (paying the order, refunding a late payment) are idempotent and come
   * first, and the event is recorded as handled with the intent's new state in one transaction; a failure before
   * that answers 503 so the provider delivers the event again.
   */
  async handleWebhook(rawBody: Buffer, header: (name: string) => string | undefined): Promise<WebhookAnswer> {
    let event: ProviderEvent | undefined;
    try {
      event = this.provider.parseWebhook(rawBody, header);
    } catch (err) {
      if (err instanceof WebhookRejected) {
        this.logger.warn({ provider: this.provider.name, reason: err.message }, "payment webhook refused");
        return { status: 401, body: "invalid signature\n" };
      }
      throw err;
    }
    if (!event) return { status: 200, body: "ignored\n" };
    if (await repo.eventHandled(this.em, this.provider.name, event.id)) return { status: 200, body: "duplicate\n" };
    const payment = await repo.byReference(this.em, this.provider.name, event.reference);
    if (!payment) {
      this.logger.warn({ provider: this.provider.name, reference: event.reference }, "payment webhook for an unknown payment");
      return { status: 200, body: "unknown payment\n" };
    }
    const change = await this.#effect(event, payment);
    const recorded = await transaction(this.em, async (tx) => {
      if (!(await repo.markEventHandled(tx, this.provider.name, event.id, event.type))) return false;
      if (change) await repo.transition(tx, payment.id, change.to, change.changes);
      return true;
    });
    return { status: 200, body: recorded ? "ok\n" : "duplicate\n" };
  }

  /** What the event does outside this service, and the intent's state it leads to (undefined: none). */
  async #effect(
    event: ProviderEvent,
    payment: PaymentSnapshot,
  ): Promise<{ to: PaymentStatus; changes: { statusReason?: string; refundReference?: string } } | undefined> {
    switch (event.type) {
      case "payment.requires_action":
        return { to: "REQUIRES_ACTION", changes: { statusReason: "" } };
      case "payment.failed":
        return { to: "FAILED", changes: { statusReason: event.failureMessage || "the payment was declined" } };
      case "payment.succeeded":
        break;
    }
    if (payment.status === "SUCCEEDED" || payment.status === "REFUNDED") return undefined;
    try {
      await this.orders.markPaid(payment.orderId, payment.providerReference);
      return { to: "SUCCEEDED", changes: { statusReason: "" } };
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== "FailedPrecondition") throw err;
      // The money arrived after the order ended (its holds expired, or it was cancelled): the seats may be sold to
      // someone else by now, so the buyer gets the money back rather than tickets.
      const state = err.details.stateConflict?.currentState ?? "no longer payable";
      const { refundReference } = await this.provider.refund({
        reference: payment.providerReference,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        reason: "order ended before the payment succeeded",
        idempotencyKey: `late-${payment.id}`,
      });
      const statusReason = `the payment succeeded after the order had ended (${state}); it was refunded automatically (${refundReference})`;
      this.logger.warn({ orderId: payment.orderId, refundReference, orderState: state }, "late payment refunded automatically");
      return { to: "REFUNDED", changes: { statusReason, refundReference } };
    }
  }

  /**
   * Refunds a PAID order in full (admin): the provider returns the money, the order's tickets are revoked, and the
   * order becomes REFUNDED. Every step is idempotent, so a retry after a failure half-way finishes the job.
   */
  async refundOrder(orderId: string, reason: string): Promise<{ order: OrderInfo; payment: PaymentSnapshot }> {
    const order = await this.orders.get(orderId);
    let payment = await repo.byOrder(this.em, orderId);
    if (order.status !== "PAID" && order.status !== "REFUNDED") {
      throw stateConflict(`order ${orderId} is ${order.status}: only a PAID order can be refunded`, `ORDER_STATUS_${order.status}`, "RefundOrder");
    }
    if (!payment) {
      throw new DomainError("FailedPrecondition", `order ${orderId} was not paid through the payment provider (it was marked paid by hand): refund it where it was paid`);
    }
    // The order can be PAID a moment before the webhook's transaction records the success on the intent: the order's
    // payment reference being this intent's says the money is there.
    const paidByThis = order.status === "PAID" && order.wire.paymentReference === payment.providerReference;
    if (!paidByThis) assertRefundable(payment);
    if (payment.status !== "REFUNDED") {
      const { refundReference } = await this.provider.refund({
        reference: payment.providerReference,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        reason,
        idempotencyKey: `refund-${payment.id}`,
      });
      payment = (await repo.transition(this.em, payment.id, "REFUNDED", { statusReason: `refunded: ${reason}`, refundReference })) ??
        ((await repo.byOrder(this.em, orderId)) as PaymentSnapshot);
    }
    await this.tickets.revokeOrder(orderId, reason);
    const refunded = await this.orders.markRefunded(orderId, payment.refundReference, reason);
    return { order: refunded, payment };
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}
