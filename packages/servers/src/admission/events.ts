import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { checkout as checkoutPb } from "@ticketing/sdk";
import { TOPICS, type Bus, type BusMessage, type Subscription } from "../platform/bus.js";
import type { AdmissionService } from "./service.js";

const ADMISSION_GROUP = "ticketing-admission";

/** Order events that end an order's tickets, with the reason their revocation gives. */
const ENDINGS: Partial<Record<checkoutPb.OrderEventType, string>> = {
  [checkoutPb.OrderEventType.CANCELLED]: "order cancelled",
  [checkoutPb.OrderEventType.EXPIRED]: "order expired",
};

/**
 * Consumes order events: a paid order gets its tickets (once per event id), a cancelled or expired one loses them.
 * A message that is not a usable OrderEvent throws, so the bus retries it and then dead-letters it.
 */
export function consumeOrderEvents(bus: Bus, service: AdmissionService, onStateChange?: (receiving: boolean) => void): Promise<Subscription> {
  return bus.subscribe({
    topic: TOPICS.orderEvents,
    group: ADMISSION_GROUP,
    ...(onStateChange ? { onStateChange } : {}),
    handle: (message) => onOrderEvent(service, message),
  });
}

async function onOrderEvent(service: AdmissionService, message: BusMessage): Promise<void> {
  // Most of an on-sale's order events concern no ticket; the header says so without decoding.
  if (message.type === "ORDER_EVENT_TYPE_PLACED" || message.type === "ORDER_EVENT_TYPE_FAILED") return;
  const event = fromBinary(checkoutPb.OrderEventSchema, message.value);
  if (!event.eventId || !event.order) throw new Error(`not a usable OrderEvent (type ${event.type}, event id "${event.eventId}")`);
  const order = event.order;
  if (event.type === checkoutPb.OrderEventType.PAID) {
    await service.issueForPaidOrder({
      sourceEventId: event.eventId,
      orderId: event.orderId,
      userId: order.userId,
      paidAt: event.occurredAt ? timestampDate(event.occurredAt) : new Date(),
      items: order.items.map((i) => ({ eventId: i.eventId, ticketTypeId: i.ticketId, ticketTypeName: i.ticketName, quantity: i.quantity })),
    });
    return;
  }
  const ending = ENDINGS[event.type];
  if (ending) await service.revokeOrder(event.orderId, ending);
}
