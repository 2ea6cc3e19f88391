// The notification service's mapping between its domain types and the protobuf messages, in both directions: the
// handlers and the events use it, nothing else converts.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { checkout as checkoutPb, notification as pb } from "@ticketing/sdk";
import type { NotificationRecord } from "./domain/delivery.js";

const CHANNELS = { LOG: pb.NotificationChannel.LOG, WEBHOOK: pb.NotificationChannel.WEBHOOK, EMAIL: pb.NotificationChannel.EMAIL };
const STATUSES = { PENDING: pb.DeliveryStatus.PENDING, DELIVERED: pb.DeliveryStatus.DELIVERED, FAILED: pb.DeliveryStatus.FAILED };

export function notificationToPb(n: NotificationRecord): pb.Notification {
  const type = checkoutPb.OrderEventType[n.orderEventType.replace("ORDER_EVENT_TYPE_", "") as keyof typeof checkoutPb.OrderEventType];
  return create(pb.NotificationSchema, {
    id: n.id,
    sourceEventId: n.sourceEventId,
    orderId: n.orderId,
    userId: n.userId,
    orderEventType: typeof type === "number" ? type : checkoutPb.OrderEventType.UNSPECIFIED,
    channel: CHANNELS[n.channel],
    deliveryStatus: STATUSES[n.deliveryStatus],
    attempts: n.attempts,
    lastError: n.lastError,
    subject: n.subject,
    body: n.body,
    createdAt: timestampFromDate(n.createdAt),
    ...(n.deliveredAt ? { deliveredAt: timestampFromDate(n.deliveredAt) } : {}),
  });
}

/** Translates NotificationService RPCs to use cases. */
