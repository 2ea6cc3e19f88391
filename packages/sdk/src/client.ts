import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { bearerTokenInterceptor, type TokenSource } from "./auth.js";
import { AdmissionService } from "./gen/ticketing/admission/v1/admission_pb.js";
import { BookingService } from "./gen/ticketing/booking/v1/booking_pb.js";
import { CheckoutService } from "./gen/ticketing/checkout/v1/checkout_pb.js";
import { EventService } from "./gen/ticketing/event/v1/event_pb.js";
import { NotificationService } from "./gen/ticketing/notification/v1/notification_pb.js";
import { PaymentService } from "./gen/ticketing/payment/v1/payment_pb.js";
import { retryingTransport, type RetryOptions } from "./retry.js";

/** The wire protocols the servers speak. Browsers can use "connect" and "grpc-web" only. */
export type Protocol = "grpc" | "connect" | "grpc-web";

/** Options shared by the Node and browser entries. */
export interface TicketingClientOptions {
  /** Where the server (or the all-in-one process) listens, for example "http://127.0.0.1:50600". */
  baseUrl?: string;
  /** Bearer token (JWT) for every call, or a function that returns the current one. */
  token?: TokenSource;
  /** Wire protocol; default "grpc" in Node and "connect" in browsers. */
  protocol?: Protocol;
  /**
   * Retries of unary calls the proto declares NO_SIDE_EFFECTS or IDEMPOTENT, on UNAVAILABLE and on
   * DEADLINE_EXCEEDED, with exponential backoff and jitter; every attempt carries the same idempotency key.
   * Default 4 attempts; `false` turns retries off.
   */
  retry?: RetryOptions | false;
  /**
   * Deadline of each attempt in milliseconds, unless the call passes its own `timeoutMs` (also per attempt).
   * With retries, a call can last up to `maxAttempts` deadlines plus the backoff between them: pass a `signal`
   * to bound the whole call. Default 10000.
   */
  timeoutMs?: number;
  /** More interceptors, run inside the SDK's own on every attempt (after the token and idempotency key are set). */
  interceptors?: Interceptor[];
  /**
   * Builds the transport from the SDK's interceptors instead of `baseUrl` and `protocol`: for tests
   * (`createRouterTransport`) and in-process use. The SDK's retries wrap the transport it returns.
   */
  transport?: (init: { interceptors: Interceptor[]; timeoutMs: number }) => Transport;
}

/** Typed clients for the v1 services, sharing one transport. */
export interface TicketingClient {
  /** ticketing.event.v1.EventService: events and ticket types. */
  events: Client<typeof EventService>;
  /** ticketing.booking.v1.BookingService: stock and holds. */
  bookings: Client<typeof BookingService>;
  /** ticketing.checkout.v1.CheckoutService: carts and orders. */
  checkout: Client<typeof CheckoutService>;
  /** ticketing.notification.v1.NotificationService: buyer notifications. */
  notifications: Client<typeof NotificationService>;
  /** ticketing.admission.v1.AdmissionService: issued tickets, their codes and check-in at the door. */
  admission: Client<typeof AdmissionService>;
  /** ticketing.payment.v1.PaymentService: payments through the provider, refunds. */
  payments: Client<typeof PaymentService>;
  /** The transport the clients use, to build clients of other services (health, reflection). */
  transport: Transport;
}

/** Milliseconds each attempt of a call may take when neither the call nor the client sets `timeoutMs`. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The SDK's interceptors, run on every attempt: the token, then the caller's own. The idempotency key and the
 * retries live around the transport (retryingTransport), so that each attempt has its own deadline.
 */
function sdkInterceptors(options: TicketingClientOptions): Interceptor[] {
  const interceptors: Interceptor[] = [];
  if (options.token !== undefined) {
    interceptors.push(bearerTokenInterceptor(options.token));
  }
  interceptors.push(...(options.interceptors ?? []));
  return interceptors;
}

/** Builds the service clients over one transport. */
export function clientsFor(transport: Transport): TicketingClient {
  return {
    events: createClient(EventService, transport),
    bookings: createClient(BookingService, transport),
    checkout: createClient(CheckoutService, transport),
    notifications: createClient(NotificationService, transport),
    admission: createClient(AdmissionService, transport),
    payments: createClient(PaymentService, transport),
    transport,
  };
}

/** Builds the client with a transport factory supplied by the entry point (Node or browser). */
export function buildClient(
  options: TicketingClientOptions,
  defaultTransport: (init: { baseUrl: string; interceptors: Interceptor[]; timeoutMs: number }) => Transport,
): TicketingClient {
  const interceptors = sdkInterceptors(options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = options.retry ?? {};
  if (options.transport) {
    return clientsFor(retryingTransport(options.transport({ interceptors, timeoutMs }), retries));
  }
  if (!options.baseUrl) {
    throw new TypeError("createTicketingClient: baseUrl is required (for example http://127.0.0.1:50600)");
  }
  return clientsFor(retryingTransport(defaultTransport({ baseUrl: options.baseUrl, interceptors, timeoutMs }), retries));
}
