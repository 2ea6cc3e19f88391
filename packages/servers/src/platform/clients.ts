import { createRouterTransport, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { Code, ConnectError, createTicketingClient, isConnectionFailure, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { DomainError } from "./errors.js";

/** A client whose every property is taken from `current()` at the time of use. */
function lazy(current: () => TicketingClient): TicketingClient {
  return {
    get events() {
      return current().events;
    },
    get bookings() {
      return current().bookings;
    },
    get checkout() {
      return current().checkout;
    },
    get notifications() {
      return current().notifications;
    },
    get transport() {
      return current().transport;
    },
  };
}

/**
 * SDK clients one service uses to call another, with the service's own token and a deadline on every call. The
 * same generated clients serve every mode: separate processes, or all in one process over loopback.
 */
export function serviceClient(baseUrl: () => string, token: () => Promise<string>, timeoutMs: number): TicketingClient {
  let client: TicketingClient | undefined;
  let url = "";
  const current = () => {
    if (!client || url !== baseUrl()) {
      url = baseUrl();
      client = createTicketingClient({ baseUrl: url, token, timeoutMs, protocol: "grpc" });
    }
    return client;
  };
  return lazy(current);
}

/**
 * SDK clients for services in this same process: the same generated clients and the same server interceptors
 * (auth, logging, error mapping), over an in-memory transport instead of a loopback socket. Built on first use,
 * when every route is registered.
 */
export function inProcessClient(
  routes: () => ((router: ConnectRouter) => void)[],
  serverInterceptors: Interceptor[],
  token: () => Promise<string>,
  timeoutMs: number,
): TicketingClient {
  let client: TicketingClient | undefined;
  const current = () =>
    (client ??= createTicketingClient({
      token,
      timeoutMs,
      transport: ({ interceptors }) =>
        createRouterTransport(
          (router) => {
            for (const r of routes()) r(router);
          },
          { transport: { interceptors }, router: { interceptors: serverInterceptors } },
        ),
    }));
  return lazy(current);
}

/**
 * Turns another service's error into this service's domain error, so the caller gets a meaningful code: its
 * NOT_FOUND, FAILED_PRECONDITION and RESOURCE_EXHAUSTED (with the shortages) pass on; too slow stays
 * DEADLINE_EXCEEDED; not reachable becomes UNAVAILABLE naming the service; anything else is an internal error here.
 */
export function fromRemote(err: unknown, service: string): Error {
  if (!(err instanceof ConnectError)) return err instanceof Error ? err : new Error(String(err));
  // The connection failed under the call (the service died or restarted mid-call): retryable, never INTERNAL.
  if (isConnectionFailure(err)) return new DomainError("Unavailable", `${service} service unavailable: ${err.rawMessage}`);
  const e = toTicketingError(err);
  switch (e.code) {
    case Code.NotFound:
      return new DomainError("NotFound", e.message);
    case Code.InvalidArgument:
      return new DomainError("InvalidArgument", e.message, { fieldViolations: e.details.badRequest?.fieldViolations ?? [] });
    case Code.FailedPrecondition:
      return new DomainError("FailedPrecondition", e.message, e.details.stateConflict ? { stateConflict: e.details.stateConflict } : {});
    case Code.ResourceExhausted:
      return new DomainError("ResourceExhausted", e.message, {
        shortages: (e.details.insufficientStock?.shortages ?? []).map((s) => ({
          ticketId: s.ticketId,
          requested: s.requested,
          available: s.available,
        })),
      });
    case Code.AlreadyExists:
      return new DomainError("AlreadyExists", e.message);
    case Code.DeadlineExceeded:
      return new DomainError("DeadlineExceeded", `${service} service did not answer in time: ${e.message}`);
    case Code.Unavailable:
    case Code.Canceled:
      return new DomainError("Unavailable", `${service} service unavailable: ${e.message}`);
    default:
      return new Error(`${service} service failed with ${e.codeName}: ${e.message}`);
  }
}
