import { accessRules } from "./platform/auth.js";

// Every service the servers can run, in the order a process starts them. A new service is its folder, exporting a
// ServiceModule from its index.ts, and its line here: the commands, the configuration, the roles, the migrations
// and the schema check all follow from this list.
export const SERVICES = [
  (await import("./event/index.js")).eventModule,
  (await import("./booking/index.js")).bookingModule,
  (await import("./checkout/index.js")).checkoutModule,
  (await import("./notification/index.js")).notificationModule,
  (await import("./admission/index.js")).admissionModule,
  (await import("./payment/index.js")).paymentModule,
] as const;

export type ServiceName = (typeof SERVICES)[number]["name"];
export type AnyService = (typeof SERVICES)[number];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

export function serviceNamed(name: ServiceName): AnyService {
  return SERVICES.find((s) => s.name === name) as AnyService;
}

/** Who may call what, from every service's roles (a process enforces them all, whichever services it runs). */
export const ACCESS = accessRules(SERVICES.map((s) => ({ service: s.descriptor, roles: s.roles })));
