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

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
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
