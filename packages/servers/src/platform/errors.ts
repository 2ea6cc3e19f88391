// Domain errors: what went wrong in terms of the domain, with a kind that one interceptor maps to a gRPC code.
// Domain code throws these and never imports connect.

/** The kinds of failure the domain reports; each maps to exactly one gRPC code. */
export type ErrorKind =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "ResourceExhausted"
  | "PermissionDenied"
  | "Unauthenticated"
  | "Aborted"
  | "Unavailable"
  | "DeadlineExceeded";

/** A request field that failed validation. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** A ticket type that is short of stock. */
export interface Shortage {
  ticketId: string;
  requested: number;
  available: number;
}

/** Structured details that travel with an error to the client as typed error details. */
export interface ErrorDetails {
  fieldViolations?: FieldViolation[];
  shortages?: Shortage[];
  stateConflict?: { currentState: string; attempted: string };
}

/**
 * An expected answer (sold out, not found, bad input) that may be given thousands of times a second. It carries no
 * stack trace: nobody reads it (the interceptor maps it to a code), and capturing one is most of what creating an
 * error costs.
 */
export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = "DomainError";
    this.kind = kind;
    this.details = details;
  }
}

/** Runs `make` without capturing a stack trace (for errors that are answers, like DomainError). */
export function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export const notFound = (what: string, id: string) => new DomainError("NotFound", `${what} ${id} not found`);

export const invalid = (violations: FieldViolation[]) =>
  new DomainError(
    "InvalidArgument",
    violations.map((v) => `${v.field}: ${v.description}`).join("; "),
    { fieldViolations: violations },
  );

export const stateConflict = (message: string, currentState: string, attempted: string) =>
  new DomainError("FailedPrecondition", message, { stateConflict: { currentState, attempted } });
