import { fromBinary, toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { checkout as pb } from "@ticketing/sdk";
import { TOPICS, type Bus, type BusMessage, type Subscription } from "../platform/bus.js";
import type { OrderEventKind } from "./domain/templates.js";
import type { NotificationService, OrderChange } from "./service.js";

export const NOTIFICATION_GROUP = "ticketing-notification";

const KINDS: Partial<Record<pb.OrderEventType, OrderEventKind>> = {
  [pb.OrderEventType.PLACED]: "PLACED",
  [pb.OrderEventType.PAID]: "PAID",
  [pb.OrderEventType.CANCELLED]: "CANCELLED",
  [pb.OrderEventType.EXPIRED]: "EXPIRED",
  [pb.OrderEventType.FAILED]: "FAILED",
  [pb.OrderEventType.REFUNDED]: "REFUNDED",
};

/** An OrderEvent's bytes as proto JSON (for webhook bodies). */
export const orderEventJson = (payload: Uint8Array) => toJson(pb.OrderEventSchema, fromBinary(pb.OrderEventSchema, payload));

/**
 * Consumes order events and stores a notification for each. A message that is not a valid OrderEvent throws, so
 * the bus retries it and then dead-letters it.
 */
export function consumeOrderEvents(bus: Bus, service: NotificationService, onStateChange?: (receiving: boolean) => void): Promise<Subscription> {
  return bus.subscribe({
    topic: TOPICS.orderEvents,
    group: NOTIFICATION_GROUP,
    ...(onStateChange ? { onStateChange } : {}),
    handle: async (message) => {
      await service.recordAll([orderChange(message)]);
    },
    handleBatch: async (messages) => {
      await service.recordAll(messages.map(orderChange));
    },
  });
}

/** The order change an OrderEvent message describes; throws on a message that is not a usable OrderEvent. */
function orderChange(message: BusMessage): OrderChange {
  const event = fromBinary(pb.OrderEventSchema, message.value);
  const kind = KINDS[event.type];
  if (!kind || !event.order || !event.eventId) {
    throw new Error(`not a usable OrderEvent (type ${event.type}, event id "${event.eventId}")`);
  }
  const order = event.order;
  return {
    eventId: event.eventId,
    kind,
    userId: order.userId,
    payload: message.value,
    facts: {
      orderId: event.orderId,
      totalMinor: order.total?.amountMinor ?? 0n,
      currency: order.total?.currency ?? "",
      expiresAt: order.expiresAt ? timestampDate(order.expiresAt) : undefined,
      reason: order.statusReason,
      lines: order.items.map((i) => ({ name: i.ticketName, quantity: i.quantity })),
    },
  };
}
