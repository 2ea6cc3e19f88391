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
