import { admissionModule } from "./admission/index.js";
import { bookingModule } from "./booking/index.js";
import { checkoutModule } from "./checkout/index.js";
import { eventModule } from "./event/index.js";
import { notificationModule } from "./notification/index.js";
import { paymentModule } from "./payment/index.js";
import { accessRules } from "./platform/auth.js";

// Every service the servers can run, in the order a process starts them. A new service is its folder, exporting a
// ServiceModule from its index.ts, and its entry here: the commands, the configuration, the roles, migrations and
// the schema check all follow from this list.
export const SERVICES = [eventModule, bookingModule, checkoutModule, notificationModule, admissionModule, paymentModule] as const;

export type ServiceName = (typeof SERVICES)[number]["name"];
export type AnyService = (typeof SERVICES)[number];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

export function serviceNamed(name: ServiceName): AnyService {
  return SERVICES.find((s) => s.name === name) as AnyService;
}

/** Who may call what, from every service's roles (a process enforces them all, whichever services it runs). */
export const ACCESS = accessRules(SERVICES.map((s) => ({ service: s.descriptor, roles: s.roles })));
