import type { ConnectRouter } from "@connectrpc/connect";
import { event as pb } from "@ticketing/sdk";
import { eventHandler } from "./handler.js";
import type { EventService } from "./service.js";

/** Registers ticketing.event.v1.EventService on a router. */
export function eventRoutes(service: EventService) {
  return (router: ConnectRouter) => router.service(pb.EventService, eventHandler(service));
}
