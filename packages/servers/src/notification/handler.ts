import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { checkout as checkoutPb, notification as pb } from "@ticketing/sdk";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import type { NotificationRecord } from "./repository.js";
import type { NotificationService } from "./service.js";

const CHANNELS = { LOG: pb.NotificationChannel.LOG, WEBHOOK: pb.NotificationChannel.WEBHOOK, EMAIL: pb.NotificationChannel.EMAIL };
const STATUSES = { PENDING: pb.DeliveryStatus.PENDING, DELIVERED: pb.DeliveryStatus.DELIVERED, FAILED: pb.DeliveryStatus.FAILED };

function notificationToPb(n: NotificationRecord): pb.Notification {
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
export function notificationHandler(service: NotificationService): ServiceImpl<typeof pb.NotificationService> {
  return {
    async listNotifications(req, ctx) {
      const v = new Validator().optionalUuid("order_id", req.orderId).text("user_id", req.userId, 0, 200);
      if (req.orderId && req.userId) v.fail("order_id", "give order_id or user_id, not both");
      v.check();
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const rows = await service.list(
        callerOf(ctx),
        { orderId: req.orderId.toLowerCase() || undefined, userId: req.userId || undefined },
        after,
        size + 1,
      );
      const page = paginate(rows, size, (n) => [n.createdAt.toISOString(), n.id]);
      return { notifications: page.items.map(notificationToPb), nextPageToken: page.next };
    },
  };
}
