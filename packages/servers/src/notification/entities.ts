import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const NotificationSchema = defineEntity({
  name: "Notification",
  tableName: "notification",
  properties: {
    id: p.uuid().primary(),
    sourceEventId: p.uuid().unique(),
    orderId: p.uuid(),
    userId: p.text(),
    orderEventType: p.text(),
    channel: p.text(),
    deliveryStatus: p.text(),
    attempts: p.integer().default(0),
    lastError: p.text().default(""),
    subject: p.text(),
    body: p.text(),
    payload: p.blob(),
    nextAttemptAt: p.datetime().defaultRaw("now()"),
    createdAt: p.datetime().defaultRaw("now()"),
    deliveredAt: p.datetime().nullable(),
  },
});
export class Notification extends NotificationSchema.class {}
NotificationSchema.setClass(Notification);

const DeliveryAttemptSchema = defineEntity({
  name: "DeliveryAttempt",
  tableName: "delivery_attempt",
  properties: {
    id: p.bigint().primary().autoincrement(),
    notificationId: p.uuid(),
    attempt: p.integer(),
    at: p.datetime().defaultRaw("now()"),
    outcome: p.text(),
    detail: p.text(),
  },
});
export class DeliveryAttempt extends DeliveryAttemptSchema.class {}
DeliveryAttemptSchema.setClass(DeliveryAttempt);

export const notificationEntities = [NotificationSchema, DeliveryAttemptSchema, ...outboxEntities];
