import type { ProviderEvent } from "../domain/payment.js";

/**
 * A payment provider (PSP), as the payment service needs it. One adapter file per provider implements it: the
 * built-in test PSP (test-psp.ts) now; a Stripe adapter maps onto the same four calls (docs/adr/0008).
 */
export interface PaymentProvider {
  /** Short name, used in the webhook path (/webhooks/payments/<name>) and stored with each intent. */
  readonly name: string;
  /** Opens a payment with the provider; the buyer pays on the returned hosted page. */
  createPayment(input: {
    intentId: string;
    orderId: string;
    amountMinor: bigint;
    currency: string;
    description: string;
    returnUrl: string | undefined;
  }): Promise<{ reference: string; checkoutUrl: string }>;
  /** Refunds a succeeded payment in full. Idempotent per `idempotencyKey`: a retry returns the same refund. */
  refund(input: { reference: string; amountMinor: bigint; currency: string; reason: string; idempotencyKey: string }): Promise<{ refundReference: string }>;
  /**
   * Checks a webhook's signature over its exact bytes and its age, then parses it. Throws WebhookRejected when the
   * signature is missing, wrong or outside the replay window; returns undefined for event types the platform
   * does not act on.
   */
  parseWebhook(rawBody: Buffer, header: (name: string) => string | undefined): ProviderEvent | undefined;
}

/** A webhook the platform refuses to believe: answered 401, and nothing changes. */
export class WebhookRejected extends Error {
  override readonly name = "WebhookRejected";
}
