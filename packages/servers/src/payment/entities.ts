import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";
import { requestKeyEntities } from "../platform/request-key-entities.js";

const PaymentIntentSchema = defineEntity({
  name: "PaymentIntent",
  tableName: "payment_intent",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid().unique(),
    userId: p.text(),
    amountMinor: p.bigint(),
    currency: p.text(),
    status: p.text(),
    provider: p.text(),
    providerReference: p.text().unique(),
    checkoutUrl: p.text(),
    statusReason: p.text().default(""),
    refundReference: p.text().default(""),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
class PaymentIntent extends PaymentIntentSchema.class {}
PaymentIntentSchema.setClass(PaymentIntent);

const WebhookEventSchema = defineEntity({
  name: "WebhookEvent",
  tableName: "webhook_event",
  properties: {
    provider: p.text().primary(),
    eventId: p.text().primary(),
    type: p.text(),
    receivedAt: p.datetime().defaultRaw("now()"),
  },
});
class WebhookEvent extends WebhookEventSchema.class {}
WebhookEventSchema.setClass(WebhookEvent);

export const paymentEntities = [PaymentIntentSchema, WebhookEventSchema, ...outboxEntities, ...requestKeyEntities];
