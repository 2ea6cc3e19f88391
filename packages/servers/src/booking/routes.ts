import type { ConnectRouter } from "@connectrpc/connect";
import { booking as pb } from "@ticketing/sdk";
import { bookingHandler } from "./handler.js";
import type { BookingService } from "./service.js";

/** Registers ticketing.booking.v1.BookingService on a router. */
export function bookingRoutes(service: BookingService) {
  return (router: ConnectRouter) => router.service(pb.BookingService, bookingHandler(service));
}
