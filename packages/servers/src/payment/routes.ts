import type { ConnectRouter } from "@connectrpc/connect";
import { payment as pb } from "@ticketing/sdk";
import { paymentHandler } from "./handler.js";
import type { PaymentService } from "./service.js";

/** Registers ticketing.payment.v1.PaymentService on a router. */
export function paymentRoutes(service: PaymentService) {
  return (router: ConnectRouter) => router.service(pb.PaymentService, paymentHandler(service));
}
