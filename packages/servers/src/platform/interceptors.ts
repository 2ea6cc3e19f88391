import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { booking, common } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { callerKey, PUBLIC_SERVICES, type AccessRules, type TokenAuthority } from "./auth.js";
import { DomainError, withoutStack, type ErrorKind } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * The messages errors carry as details (see toConnectError). Reflection serves their files in every process, so a
 * process without the booking service can still describe the InsufficientStock its PlaceOrder refusals carry.
 */
export const ERROR_DETAILS: readonly DescMessage[] = [common.BadRequestSchema, common.StateConflictSchema, booking.InsufficientStockSchema];

const CODES: Record<ErrorKind, Code> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  FailedPrecondition: Code.FailedPrecondition,
  ResourceExhausted: Code.ResourceExhausted,
  PermissionDenied: Code.PermissionDenied,
  Unauthenticated: Code.Unauthenticated,
  Aborted: Code.Aborted,
  Unavailable: Code.Unavailable,
  DeadlineExceeded: Code.DeadlineExceeded,
};

/** Turns a domain error into the ConnectError a client sees, typed details included. */
export function toConnectError(err: DomainError): ConnectError {
  const details: ConstructorParameters<typeof ConnectError>[3] & unknown[] = [];
  if (err.details.fieldViolations) {
    details.push({
      desc: common.BadRequestSchema,
      value: create(common.BadRequestSchema, { fieldViolations: err.details.fieldViolations }),
    });
  }
  if (err.details.shortages) {
    details.push({
      desc: booking.InsufficientStockSchema,
      value: create(booking.InsufficientStockSchema, { shortages: err.details.shortages }),
    });
  }
  if (err.details.stateConflict) {
    details.push({
      desc: common.StateConflictSchema,
      value: create(common.StateConflictSchema, err.details.stateConflict),
    });
  }
  return withoutStack(() => new ConnectError(err.message, CODES[err.kind], undefined, details));
}

/**
 * The outermost server interceptor: gives every request an id (kept from `x-request-id` if the client sent one, and
 * sent back on answers and errors), and is the ONE place errors are mapped: domain errors to their gRPC code,
 * ConnectErrors as they are, anything else to INTERNAL with the stack logged. Successful calls are logged at debug
 * only (method, code, duration; never bodies); nothing is built for that log unless debug is enabled, because this
 * runs on every call. Refusals are logged at info with their code, unexpected errors at error.
 */
export function observabilityInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const requestId = req.header.get("x-request-id") || randomUUID();
    const started = performance.now();
    try {
      const res = await next(req);
      res.header.set("x-request-id", requestId);
      if (res.stream) {
        return { ...res, message: mapStreamErrors(res.message, logger, req, requestId, started) };
      }
      if (logger.isLevelEnabled("debug")) {
        logger.debug({ requestId, method: methodName(req), code: "ok", ms: elapsed(started) }, "rpc");
      }
      return res;
    } catch (err) {
      throw mapError(err, logger.child({ requestId, method: methodName(req) }), started, requestId);
    }
  };
}

const methodName = (req: { service: { typeName: string }; method: { name: string } }) => `${req.service.typeName}/${req.method.name}`;

async function* mapStreamErrors<T>(
  stream: AsyncIterable<T>,
  logger: Logger,
  req: { service: { typeName: string }; method: { name: string } },
  requestId: string,
  started: number,
): AsyncIterable<T> {
  try {
    yield* stream;
    if (logger.isLevelEnabled("debug")) {
      logger.debug({ requestId, method: methodName(req), code: "ok", ms: elapsed(started) }, "rpc stream ended");
    }
  } catch (err) {
    throw mapError(err, logger.child({ requestId, method: methodName(req) }), started, requestId);
  }
}

function mapError(err: unknown, log: Logger, started: number, requestId: string): ConnectError {
  const mapped = classify(err, log, started, requestId);
  // The id travels with the error (as trailer metadata), so a client can quote it when it reports a failure.
  mapped.metadata.set("x-request-id", requestId);
  return mapped;
}

function classify(err: unknown, log: Logger, started: number, requestId: string): ConnectError {
  if (err instanceof DomainError) {
    const mapped = toConnectError(err);
    log.info({ code: Code[mapped.code], ms: elapsed(started), error: err.message }, "rpc");
    return mapped;
  }
  if (err instanceof ConnectError) {
    const level = err.code === Code.Internal || err.code === Code.Unknown ? "error" : "info";
    log[level]({ code: Code[err.code], ms: elapsed(started), error: err.rawMessage }, "rpc");
    if (err.code === Code.Unknown) {
      return new ConnectError(`internal error (request ${requestId})`, Code.Internal);
    }
    return err;
  }
  log.error({ err, code: "Internal", ms: elapsed(started) }, "unexpected error");
  return new ConnectError(`internal error (request ${requestId})`, Code.Internal);
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/**
 * Verifies the bearer token and applies the access rules: no or bad token → UNAUTHENTICATED, wrong role →
 * PERMISSION_DENIED. Health and reflection are open.
 */
export function authInterceptor(tokens: TokenAuthority, access: AccessRules): Interceptor {
  return (next) => async (req) => {
    if (PUBLIC_SERVICES.has(req.service.typeName)) return next(req);
    const header = req.header.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      throw new DomainError("Unauthenticated", "missing bearer token: send 'authorization: Bearer <JWT>'");
    }
    const caller = await tokens.verify(match[1] as string);
    const rpc = `${req.service.typeName}/${req.method.name}`;
    const confined = access.confinedTo(caller.role);
    if (confined && !confined.has(rpc)) {
      throw new DomainError("PermissionDenied", `role ${caller.role} may call only ${[...confined].map((r) => r.split("/")[1]).join(", ")}`);
    }
    const allowed = access.rolesOf(rpc);
    if (allowed && !allowed.includes(caller.role)) {
      throw new DomainError("PermissionDenied", `${req.method.name} needs role ${allowed.join(" or ")}`);
    }
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}
