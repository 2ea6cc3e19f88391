import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { booking as bookingPb, checkout as pb } from "@ticketing/sdk";
import { TOPICS, type Bus, type BusMessage, type Subscription } from "../platform/bus.js";
import type { OrderEventType, OrderSnapshot } from "./domain/order.js";
import { orderToPb } from "./mapping.js";
import type { CheckoutService, OrderEvents } from "./service.js";
import { uuidv7 } from "../platform/ids.js";

const TYPES = {
  PLACED: pb.OrderEventType.PLACED,
  PAID: pb.OrderEventType.PAID,
  CANCELLED: pb.OrderEventType.CANCELLED,
  EXPIRED: pb.OrderEventType.EXPIRED,
  FAILED: pb.OrderEventType.FAILED,
  REFUNDED: pb.OrderEventType.REFUNDED,
} as const;

/** Order events as protobuf OrderEvent messages in the checkout schema's outbox. */
export function outboxOrderEvents(wake: () => void): OrderEvents {
  const prepare = (type: OrderEventType, order: OrderSnapshot): BusMessage => {
    const eventId = uuidv7();
    const message = create(pb.OrderEventSchema, {
      eventId,
      occurredAt: timestampFromDate(order.updatedAt),
      orderId: order.id,
      type: TYPES[type],
      order: orderToPb(order),
    });
    return {
      topic: TOPICS.orderEvents,
      key: order.id,
      type: `ORDER_EVENT_TYPE_${type}`,
      eventId,
      value: toBinary(pb.OrderEventSchema, message),
    };
  };
  return {
    prepare,
    committed: wake,
  };
}

/** The group checkout consumes booking events in. */
export const CHECKOUT_GROUP = "ticketing-checkout";

/** Consumes booking events: confirmed holds complete their orders, expired and released ones end them. */
export function consumeBookingEvents(bus: Bus, service: CheckoutService, onStateChange?: (receiving: boolean) => void): Promise<Subscription> {
  return bus.subscribe({
    topic: TOPICS.bookingEvents,
    group: CHECKOUT_GROUP,
    ...(onStateChange ? { onStateChange } : {}),
    handle: async (message: BusMessage) => {
      // Holds being created concern no order state; the header says so without decoding (one per order on sale).
      if (message.type === "BOOKING_EVENT_TYPE_HELD") return;
      const event = fromBinary(bookingPb.BookingEventSchema, message.value);
      if (event.type === bookingPb.BookingEventType.CONFIRMED) {
        await service.onHoldsConfirmed(event.eventId, event.orderId, event.bookings[0]?.paymentReference ?? "");
      } else if (event.type === bookingPb.BookingEventType.EXPIRED) {
        service.stockReturned(event.bookings.map((b) => b.ticketId));
        await service.onHoldsEnded(event.eventId, event.orderId, "EXPIRED");
      } else if (event.type === bookingPb.BookingEventType.RELEASED) {
        service.stockReturned(event.bookings.map((b) => b.ticketId));
        await service.onHoldsEnded(event.eventId, event.orderId, "RELEASED");
      }
    },
  });
}
