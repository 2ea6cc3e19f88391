import type { ConnectRouter } from "@connectrpc/connect";
import { checkout as pb } from "@ticketing/sdk";
import { checkoutHandler } from "./handler.js";
import type { CheckoutService } from "./service.js";

/** Registers ticketing.checkout.v1.CheckoutService on a router. */
export function checkoutRoutes(service: CheckoutService) {
  return (router: ConnectRouter) => router.service(pb.CheckoutService, checkoutHandler(service));
}
