import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { payment as pb } from "@ticketing/sdk";
import { callerOf } from "../platform/auth.js";
import { Validator } from "../platform/validate.js";
import type { PaymentSnapshot, PaymentStatus } from "./domain/payment.js";
import type { PaymentService } from "./service.js";

const STATUS_TO_PB: Record<PaymentStatus, pb.PaymentStatus> = {
  REQUIRES_PAYMENT: pb.PaymentStatus.REQUIRES_PAYMENT,
  REQUIRES_ACTION: pb.PaymentStatus.REQUIRES_ACTION,
  FAILED: pb.PaymentStatus.FAILED,
  SUCCEEDED: pb.PaymentStatus.SUCCEEDED,
  REFUNDED: pb.PaymentStatus.REFUNDED,
};

function paymentToPb(p: PaymentSnapshot): pb.PaymentIntent {
  return create(pb.PaymentIntentSchema, {
    id: p.id,
    orderId: p.orderId,
    userId: p.userId,
    amount: { amountMinor: p.amountMinor, currency: p.currency },
    status: STATUS_TO_PB[p.status],
    provider: p.provider,
    providerReference: p.providerReference,
    checkoutUrl: p.checkoutUrl,
    statusReason: p.statusReason,
    createdAt: timestampFromDate(p.createdAt),
    updatedAt: timestampFromDate(p.updatedAt),
  });
}

/** Translates PaymentService RPCs to use cases: validation and proto ↔ domain, nothing else. */
export function paymentHandler(service: PaymentService): ServiceImpl<typeof pb.PaymentService> {
  return {
    async createPaymentIntent(req, ctx) {
      new Validator().uuid("order_id", req.orderId).text("return_url", req.returnUrl, 0, 2000).check();
      const intent = await service.createIntent(callerOf(ctx), req.orderId.toLowerCase(), req.returnUrl.trim());
      return { paymentIntent: paymentToPb(intent) };
    },

    async getPaymentIntent(req, ctx) {
      new Validator().uuid("order_id", req.orderId).check();
      return { paymentIntent: paymentToPb(await service.intent(callerOf(ctx), req.orderId.toLowerCase())) };
    },

    async refundOrder(req) {
      new Validator().uuid("order_id", req.orderId).text("reason", req.reason, 1, 500).check();
      const { order, payment } = await service.refundOrder(req.orderId.toLowerCase(), req.reason.trim());
      return { order: order.wire, paymentIntent: paymentToPb(payment) };
    },
  };
}
