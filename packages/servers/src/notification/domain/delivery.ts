/** How a notification reaches its user. */
export type Channel = "LOG" | "WEBHOOK" | "EMAIL";

/** Where a notification's delivery stands: PENDING until delivered, or FAILED once the attempts are used up. */
export type DeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

/** A notification as first stored for one order event: rendered, with the event itself kept for the webhook. */
export interface NewNotification {
  id: string;
  /** The order event it notifies of; one notification per event. */
  sourceEventId: string;
  orderId: string;
  userId: string;
  orderEventType: string;
  channel: Channel;
  subject: string;
  body: string;
  payload: Uint8Array;
}

export interface NotificationRecord extends NewNotification {
  deliveryStatus: DeliveryStatus;
  /** Delivery attempts made or under way. */
  attempts: number;
  lastError: string;
  createdAt: Date;
  deliveredAt: Date | null;
}
