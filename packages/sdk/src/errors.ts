import { Code, ConnectError } from "@connectrpc/connect";
import { InsufficientStockSchema, type InsufficientStock } from "./gen/ticketing/booking/v1/booking_pb.js";
import {
  BadRequestSchema,
  StateConflictSchema,
  type BadRequest,
  type StateConflict,
} from "./gen/ticketing/common/v1/errors_pb.js";

export { Code, ConnectError };

/** The typed error details the platform's services attach to their errors. */
export interface TicketingErrorDetails {
  /** INVALID_ARGUMENT: every request field that failed validation. */
  badRequest?: BadRequest;
  /** RESOURCE_EXHAUSTED from holding stock: the ticket types that are short. */
  insufficientStock?: InsufficientStock;
  /** FAILED_PRECONDITION from a state machine: the state that refused the operation. */
  stateConflict?: StateConflict;
}

/** What a failed call tells you, in plain fields. */
export interface TicketingError {
  /** The gRPC status code. */
  code: Code;
  /** The code as gRPC spells it, for example "RESOURCE_EXHAUSTED". */
  codeName: string;
  /** The server's message, without the "[code]" prefix ConnectError adds. */
  message: string;
  /** The typed details that were attached. */
  details: TicketingErrorDetails;
  /** The underlying ConnectError. */
  cause: ConnectError;
}

/** Turns anything a call threw into a TicketingError; a non-Connect error becomes UNKNOWN. */
export function toTicketingError(err: unknown): TicketingError {
  const cause = ConnectError.from(err);
  const details: TicketingErrorDetails = {};
  const [badRequest] = cause.findDetails(BadRequestSchema);
  const [insufficientStock] = cause.findDetails(InsufficientStockSchema);
  const [stateConflict] = cause.findDetails(StateConflictSchema);
  if (badRequest) details.badRequest = badRequest;
  if (insufficientStock) details.insufficientStock = insufficientStock;
  if (stateConflict) details.stateConflict = stateConflict;
  return { code: cause.code, codeName: codeName(cause.code), message: cause.rawMessage, details, cause };
}

/** The gRPC status code of an error (UNKNOWN for anything that is not a ConnectError). */
export function errorCode(err: unknown): Code {
  return ConnectError.from(err).code;
}

/** True when `err` carries the given gRPC code. */
export function hasCode(err: unknown, code: Code): boolean {
  return err instanceof ConnectError && err.code === code;
}

/** The gRPC spelling of a code: Code.ResourceExhausted → "RESOURCE_EXHAUSTED". */
export function codeName(code: Code): string {
  const name = Code[code];
  return name === undefined ? `CODE_${code}` : name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Node error codes that mean the connection failed under the call, not that the server refused it. */
const CONNECTION_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_STREAM_CANCEL",
]);

/**
 * Whether a call failed because the connection did (reset, closed mid-call, refused) rather than because the
 * server answered with an error. Transports report these as ABORTED, CANCELED, INTERNAL or UNKNOWN; they all mean
 * "unavailable": the call may or may not have been applied, so retry it with the same idempotency key.
 * An error the server sent is never one of these, nor is a deadline or the caller's own cancellation (check your
 * signal before asking).
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof ConnectError) || err.isWireError) return false;
  if (err.code === Code.Unavailable) return true;
  if (![Code.Aborted, Code.Canceled, Code.Internal, Code.Unknown].includes(err.code)) return false;
  if (/^http\/2 stream closed|socket hang up|premature close|ECONNRESET|EPIPE/i.test(err.rawMessage)) return true;
  for (let cause: unknown = err.cause; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_ERRORS.has(code)) return true;
  }
  return false;
}
