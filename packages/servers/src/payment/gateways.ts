import { checkout, type TicketingClient } from "@ticketing/sdk";
import { fromRemote } from "../platform/clients.js";
import type { OrderInfo, Orders, TicketRevocation } from "./service.js";

function orderInfo(order: checkout.Order | undefined): OrderInfo {
  if (!order?.total) throw new Error("checkout answered without an order");
  return {
    id: order.id,
    userId: order.userId,
    status: checkout.OrderStatus[order.status],
    totalMinor: order.total.amountMinor,
    currency: order.total.currency,
    description: order.items.map((i) => `${i.quantity} × ${i.ticketName}`).join(", "),
    wire: order,
  };
}

/** The admission service's tickets: a refund revokes every ticket of the order (idempotent there). */
export function admissionTickets(client: TicketingClient): TicketRevocation {
  return {
    async revokeOrder(orderId, reason) {
      try {
        await client.admission.revokeOrderTickets({ orderId, reason: `refunded: ${reason}`.slice(0, 500) });
      } catch (err) {
        throw fromRemote(err, "admission");
      }
    },
  };
}

/** The checkout service's orders, through its SDK client with the payment service's token. */
export function checkoutOrders(client: TicketingClient): Orders {
  const call = async (work: () => Promise<{ order?: checkout.Order | undefined }>): Promise<OrderInfo> => {
    try {
      return orderInfo((await work()).order);
    } catch (err) {
      throw fromRemote(err, "checkout");
    }
  };
  return {
    get: (orderId) => call(() => client.checkout.getOrder({ orderId })),
    markPaid: (orderId, paymentReference) => call(() => client.checkout.markOrderAsPaid({ orderId, paymentReference })),
    markRefunded: (orderId, refundReference, reason) => call(() => client.checkout.markOrderAsRefunded({ orderId, refundReference, reason })),
  };
}
