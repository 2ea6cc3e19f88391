import { Code, ConnectError, type TicketingClient } from "@ticketing/sdk";
import { fromRemote } from "../platform/clients.js";
import type { StockGateway } from "./service.js";

/** The booking service's stock RPCs, as the event service needs them. */
export function bookingStock(client: TicketingClient): StockGateway {
  return {
    async createStock(ticketId, eventId, total, buckets) {
      try {
        await client.bookings.createStock({ ticketId, eventId, total, buckets, idempotencyKey: `stock-${ticketId}` });
      } catch (err) {
        throw fromRemote(err, "booking");
      }
    },
    async deleteStock(ticketId) {
      try {
        await client.bookings.deleteStock({ ticketId });
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.NotFound) return;
        throw fromRemote(err, "booking");
      }
    },
  };
}
