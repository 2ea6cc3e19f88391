import type { ConnectRouter } from "@connectrpc/connect";
import { notification as pb } from "@ticketing/sdk";
import { notificationHandler } from "./handler.js";
import type { NotificationService } from "./service.js";

/** Registers ticketing.notification.v1.NotificationService on a router. */
export function notificationRoutes(service: NotificationService) {
  return (router: ConnectRouter) => router.service(pb.NotificationService, notificationHandler(service));
}
