import { stateConflict } from "../../platform/errors.js";

// A payment intent's rules: one intent per order, moved by the provider's events. A decline leaves it open (the
// buyer may try another card on the same page); a success is final unless refunded. Events may arrive late or out of
// order, so a transition the table does not allow is ignored by the webhook rather than refused.

export type PaymentStatus = "REQUIRES_PAYMENT" | "REQUIRES_ACTION" | "FAILED" | "SUCCEEDED" | "REFUNDED";

const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  REQUIRES_PAYMENT: ["REQUIRES_ACTION", "FAILED", "SUCCEEDED", "REFUNDED"],
  REQUIRES_ACTION: ["FAILED", "SUCCEEDED", "REFUNDED"],
  FAILED: ["REQUIRES_ACTION", "FAILED", "SUCCEEDED", "REFUNDED"],
  SUCCEEDED: ["REFUNDED"],
  REFUNDED: [],
};

/** The states an intent may move to `to` from. */
export const fromStates = (to: PaymentStatus): PaymentStatus[] =>
  (Object.keys(TRANSITIONS) as PaymentStatus[]).filter((from) => TRANSITIONS[from].includes(to));

export interface PaymentSnapshot {
  id: string;
  orderId: string;
  userId: string;
  amountMinor: bigint;
  currency: string;
  status: PaymentStatus;
  provider: string;
  providerReference: string;
  checkoutUrl: string;
  statusReason: string;
  refundReference: string;
  createdAt: Date;
  updatedAt: Date;
}

/** FAILED_PRECONDITION unless the intent may be refunded by an admin (only a succeeded payment holds money). */
export function assertRefundable(payment: PaymentSnapshot): void {
  if (payment.status !== "SUCCEEDED" && payment.status !== "REFUNDED") {
    throw stateConflict(`payment ${payment.id} is ${payment.status}: there is nothing to refund`, `PAYMENT_STATUS_${payment.status}`, "RefundOrder");
  }
}

/** What the provider told the platform, in the platform's terms. */
export type ProviderEventType = "payment.succeeded" | "payment.failed" | "payment.requires_action";

export interface ProviderEvent {
  /** The provider's own id of the event: redeliveries carry the same one. */
  id: string;
  type: ProviderEventType;
  /** The provider's id of the payment (the intent's provider reference). */
  reference: string;
  /** Why a payment failed, in the provider's words. */
  failureMessage: string;
}
