import type { ConnectRouter } from "@connectrpc/connect";
import { admission as pb } from "@ticketing/sdk";
import { admissionHandler } from "./handler.js";
import type { AdmissionService } from "./service.js";

/** Registers ticketing.admission.v1.AdmissionService on a router. */
export function admissionRoutes(service: AdmissionService) {
  return (router: ConnectRouter) => router.service(pb.AdmissionService, admissionHandler(service));
}
