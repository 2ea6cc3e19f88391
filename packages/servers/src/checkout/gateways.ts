import { createHash } from "node:crypto";
import { booking, type TicketingClient } from "@ticketing/sdk";
import { fromRemote } from "../platform/clients.js";
import type { Catalogue, HoldStatus, Holds } from "./service.js";

const HOLD_STATUS: Record<number, HoldStatus> = {
  [booking.BookingStatus.HELD]: "HELD",
  [booking.BookingStatus.CONFIRMED]: "CONFIRMED",
  [booking.BookingStatus.RELEASED]: "RELEASED",
  [booking.BookingStatus.EXPIRED]: "EXPIRED",
};

/** The event service as checkout's catalogue. */
export function eventCatalogue(client: TicketingClient): Catalogue {
  return {
    async ticket(ticketId) {
      try {
        const { ticketType } = await client.events.getTicket({ ticketId });
        if (!ticketType?.price) throw new Error(`ticket ${ticketId} came back without a price`);
        return {
          ticketId: ticketType.id,
          eventId: ticketType.eventId,
          name: ticketType.name,
          priceMinor: ticketType.price.amountMinor,
          currency: ticketType.price.currency,
        };
      } catch (err) {
        throw fromRemote(err, "event");
      }
    },
  };
}

/** The booking service's holds, as checkout needs them. `ttlSeconds` overrides booking's default TTL. */
export function bookingHolds(client: TicketingClient, ttlSeconds?: number): Holds {
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw fromRemote(err, "booking");
    }
  };
  return {
    hold: (orderId, lines, timeoutMs) =>
      call(async () => {
        const res = await client.bookings.createBooking(
          {
            orderId,
            items: lines.map((l) => ({ ticketId: l.ticketId, quantity: l.quantity })),
            idempotencyKey: `hold-${orderId}`,
            ...(ttlSeconds ? { ttl: { seconds: BigInt(ttlSeconds) } } : {}),
          },
          timeoutMs === undefined ? {} : { timeoutMs },
        );
        if (!res.expiresAt) throw new Error("booking returned holds without an expiry");
        return { expiresAt: new Date(Number(res.expiresAt.seconds) * 1000 + Math.floor(res.expiresAt.nanos / 1e6)) };
      }),
    confirm: (orderId, paymentReference) =>
      call(async () => {
        const { bookings } = await client.bookings.confirmBookings({ orderId, paymentReference, idempotencyKey: confirmKey(orderId, paymentReference) });
        return { paymentReference: bookings[0]?.paymentReference ?? "" };
      }),
    release: (orderId) =>
      call(async () => (await client.bookings.deleteOrderBookings({ orderId })).bookings.length),
    available: (ticketId) => call(async () => (await client.bookings.getStock({ ticketId })).stock?.available ?? 0),
    statuses: (orderId) =>
      call(async () => {
        const { bookings } = await client.bookings.getBookings({ orderId, pageSize: 100 });
        return bookings.map((b) => ({ status: HOLD_STATUS[b.status] ?? "HELD", paymentReference: b.paymentReference }));
      }),
  };
}

/** One key per order and payment: a payment retried is the same request, another payment of the order is another. */
const confirmKey = (orderId: string, paymentReference: string) =>
  `confirm-${orderId}-${createHash("sha256").update(paymentReference).digest("base64url").slice(0, 22)}`;
