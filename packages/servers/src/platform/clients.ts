import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import {
  createContextValues,
  createRouterTransport,
  type ConnectRouter,
  type ContextValues,
  type Interceptor,
  type Transport,
  type UnaryResponse,
} from "@connectrpc/connect";
import { runUnaryCall } from "@connectrpc/connect/protocol";
import { Code, ConnectError, createTicketingClient, isConnectionFailure, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { DomainError } from "./errors.js";
import { UnaryContext, UnaryMethods } from "./unary.js";

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
    get admission() {
      return current().admission;
    },
    get payments() {
      return current().payments;
    },
    get transport() {
      return current().transport;
    },
  };
}

/**
 * How long a replica whose connection failed is passed over before one call tries it again; doubled after each
 * failed try (a replica that is gone for good costs one failed call a minute), back to nothing once it answers.
 */
const REPLICA_DOWN_MS = 3_000;
const REPLICA_DOWN_MAX_MS = 60_000;

/**
 * SDK clients one service uses to call another, with the service's own token and a deadline on every call. The
 * same generated clients serve every mode: separate processes, or all in one process over loopback. Given several
 * base URLs (replicas), each call takes the next one in turn, over one client (and its connections) per URL; a
 * replica whose connection just failed (it died, or is restarting) is passed over for a while, so the calls after
 * the first go to the replicas that answer.
 */
export function serviceClient(
  baseUrls: () => string | readonly string[],
  token: () => Promise<string>,
  timeoutMs: number,
  interceptors: Interceptor[] = [],
): TicketingClient {
  let replicas: { client: TicketingClient; downUntil: number }[] = [];
  let key = "";
  let turn = 0;
  const current = () => {
    const urls = baseUrls();
    const list = typeof urls === "string" ? [urls] : urls;
    const listKey = list.join(",");
    if (listKey !== key) {
      key = listKey;
      replicas = list.map((baseUrl) => {
        const replica = { client: undefined as unknown as TicketingClient, downUntil: 0, failures: 0 };
        const watch: Interceptor = (next) => async (req) => {
          try {
            const res = await next(req);
            replica.failures = 0;
            return res;
          } catch (err) {
            const now = Date.now();
            // The SDK's retries of one call land here too: only a try after the pause counts as another failure.
            if (isConnectionFailure(err) && replica.downUntil <= now) {
              replica.downUntil = now + Math.min(REPLICA_DOWN_MS * 2 ** replica.failures, REPLICA_DOWN_MAX_MS);
              replica.failures++;
            } else if (!isConnectionFailure(err)) replica.failures = 0;
            throw err;
          }
        };
        replica.client = createTicketingClient({ baseUrl, token, timeoutMs, protocol: "grpc", interceptors: [watch, ...interceptors] });
        return replica;
      });
      turn = 0;
    }
    const now = Date.now();
    let chosen = replicas[turn] as (typeof replicas)[number];
    for (let i = 0; i < replicas.length; i++) {
      const candidate = replicas[(turn + i) % replicas.length] as (typeof replicas)[number];
      if (candidate.downUntil <= now) {
        chosen = candidate;
        turn = (turn + i) % replicas.length;
        break;
      }
    }
    turn = (turn + 1) % replicas.length;
    return chosen.client;
  };
  return lazy(current);
}

/**
 * SDK clients for services in this same process: the same generated clients, client interceptors, server
 * interceptors (auth, logging, error mapping) and implementations as over the network, with nothing serialized:
 * unary calls hand the request message to the implementation and its response back to the caller by reference, so
 * neither side may change a message after passing it on. Deadlines and cancellation work as over a socket. Streaming
 * methods go through connect's in-memory router transport. Built on first use, when every route is registered.
 */
export function inProcessClient(
  routes: () => ((router: ConnectRouter) => void)[],
  serverInterceptors: Interceptor[],
  token: () => Promise<string>,
  timeoutMs: number,
  clientInterceptors: Interceptor[] = [],
): TicketingClient {
  let client: TicketingClient | undefined;
  const current = () =>
    (client ??= createTicketingClient({
      token,
      timeoutMs,
      interceptors: clientInterceptors,
      transport: (init) => inProcessTransport(routes(), serverInterceptors, init.interceptors, init.timeoutMs),
    }));
  return lazy(current);
}

/** A Transport that runs the client interceptors, then the server's dispatcher, in this process. */
function inProcessTransport(
  routes: readonly ((router: ConnectRouter) => void)[],
  serverInterceptors: Interceptor[],
  clientInterceptors: Interceptor[],
  defaultTimeoutMs: number | undefined,
): Transport {
  const methods = new UnaryMethods(serverInterceptors);
  const recorder = methods.recorder();
  for (const r of routes) r(recorder);
  let viaRouter: Transport | undefined;
  const router = () =>
    (viaRouter ??= createRouterTransport(
      (r) => {
        for (const route of routes) route(r);
      },
      {
        transport: { interceptors: clientInterceptors, ...(defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs }) },
        router: { interceptors: serverInterceptors },
      },
    ));

  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
      contextValues?: ContextValues,
    ): Promise<UnaryResponse<I, O>> {
      const path = `/${method.parent.typeName}/${method.name}`;
      const target = methods.get(path);
      // Registered with options of its own, or not at all: connect's router knows what to answer.
      if (target === undefined) return router().unary(method, signal, timeoutMs, header, input, contextValues);
      // The same rule as connect's transports: no timeout means the default, zero or less means none.
      const deadlineMs = timeoutMs === undefined ? defaultTimeoutMs : timeoutMs <= 0 ? undefined : timeoutMs;
      return runUnaryCall<I, O>({
        interceptors: clientInterceptors,
        ...(signal === undefined ? {} : { signal }),
        ...(deadlineMs === undefined ? {} : { timeoutMs: deadlineMs }),
        req: {
          stream: false,
          service: method.parent,
          method,
          requestMethod: "POST",
          url: `in-process://${path}`,
          header: new Headers(header),
          contextValues: contextValues ?? createContextValues(),
          message: input,
        },
        next: async (req) => {
          const ctx = new UnaryContext({
            method: target,
            protocolName: "connect",
            url: req.url,
            requestHeader: req.header,
            timeoutMs: deadlineMs,
            signal: req.signal,
          });
          const res = await untilAborted(methods.invoke(target, ctx, req.message as MessageShape<DescMessage>), req.signal, ctx);
          ctx.abort();
          return res as unknown as UnaryResponse<I, O>;
        },
      });
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return router().stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts (deadline, caller's cancel): a handler that ignores its
 * signal must not hold the caller past its deadline. Its late result is dropped.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, ctx: UnaryContext): Promise<T> {
  if (signal.aborted) {
    ctx.abort(signal.reason);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      ctx.abort(signal.reason);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
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
