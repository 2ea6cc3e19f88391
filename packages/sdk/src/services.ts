/**
 * The v1 services of the platform and the generated message types, grouped by service package.
 * Import a namespace (`import { checkout } from "@ticketing/sdk"`) for its messages, enums and service descriptor.
 */
export * as common from "./protos/common.js";
export * as event from "./protos/event.js";
export * as booking from "./protos/booking.js";
export * as checkout from "./protos/checkout.js";
export * as notification from "./protos/notification.js";
export * as admission from "./protos/admission.js";
export * as payment from "./protos/payment.js";
