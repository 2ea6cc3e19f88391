import type { ServiceImpl } from "@connectrpc/connect";
import { notification as pb } from "@ticketing/sdk";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import type { NotificationService } from "./service.js";
import { notificationToPb } from "./mapping.js";

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
