// What both entries (Node and browser) export besides createTicketingClient.
export { bearerTokenInterceptor, type TokenSource } from "./auth.js";
export {
  DEFAULT_TIMEOUT_MS,
  clientsFor,
  type Protocol,
  type TicketingClient,
  type TicketingClientOptions,
} from "./client.js";
export {
  Code,
  ConnectError,
  codeName,
  errorCode,
  hasCode,
  isConnectionFailure,
  toTicketingError,
  type TicketingError,
  type TicketingErrorDetails,
} from "./errors.js";
export { idempotencyKeyInterceptor } from "./idempotency.js";
export { retryInterceptor, type RetryOptions } from "./retry.js";
export * from "./services.js";
export {
  decodeTicketCode,
  verifyTicketCode,
  type DecodedTicketCode,
  type TicketCodeFacts,
  type TicketCodeRefusal,
  type TicketCodeVerdict,
  type TicketVerificationKey,
} from "./ticket-code.js";
