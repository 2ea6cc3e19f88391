import { defineEntity, p } from "@mikro-orm/core";
import type { TablesOf } from "../platform/db.js";
import { outboxEntities } from "../platform/outbox-entities.js";
import type { Channel, DeliveryStatus } from "./domain/delivery.js";

const NotificationSchema = defineEntity({
  name: "Notification",
  tableName: "notification",
  checks: [
    { name: "notification_channel_known", expression: "channel in ('LOG', 'WEBHOOK', 'EMAIL')" },
    { name: "notification_status_known", expression: "delivery_status in ('PENDING', 'DELIVERED', 'FAILED')" },
    { name: "notification_attempts_non_negative", expression: "attempts >= 0" },
  ],
  indexes: [
    // Written as SQL: MikroORM 7.2.1 reads the sort order of "id" back from "order_id" / "user_id" when it
    // introspects these indexes, so a declared (…, created_at desc, id desc) would be seen as changed every time.
    {
      name: "notification_order_index",
      expression: `create index "notification_order_index" on "notification"."notification" (order_id, created_at desc, id desc)`,
    },
    {
      name: "notification_user_index",
      expression: `create index "notification_user_index" on "notification"."notification" (user_id, created_at desc, id desc)`,
    },
    { name: "notification_due_index", properties: ["nextAttemptAt"], where: "delivery_status = 'PENDING'" },
  ],
  properties: {
    id: p.uuid().primary(),
    sourceEventId: p.uuid().unique("notification_one_per_event"),
    orderId: p.uuid(),
    userId: p.text(),
    orderEventType: p.text(),
    channel: p.text().$type<Channel>(),
    deliveryStatus: p.text().$type<DeliveryStatus>(),
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
class Notification extends NotificationSchema.class {}
NotificationSchema.setClass(Notification);

const DeliveryAttemptSchema = defineEntity({
  name: "DeliveryAttempt",
  tableName: "delivery_attempt",
  indexes: [{ name: "delivery_attempt_notification_index", properties: ["notification", "attempt"] }],
  properties: {
    id: p.bigint().primary().autoincrement(),
    notification: () => p.manyToOne(Notification).deleteRule("cascade").foreignKeyName("delivery_attempt_notification_id_fkey"),
    attempt: p.integer(),
    at: p.datetime().defaultRaw("now()"),
    outcome: p.text(),
    detail: p.text(),
  },
});
class DeliveryAttempt extends DeliveryAttemptSchema.class {}
DeliveryAttemptSchema.setClass(DeliveryAttempt);

export const notificationEntities = [NotificationSchema, DeliveryAttemptSchema, ...outboxEntities];

/** Hand-written statements' view of the notification schema. */
export type NotificationTables = TablesOf<(typeof notificationEntities)[number]>;
export type NotificationEntity = (typeof notificationEntities)[number];
