// One dispatcher for unary calls that skip connect's universal handler: the gRPC fast path (grpc-unary.ts) and the
// in-process transport (clients.ts). Both run the very interceptors and implementations the routes registered on
// connect's router, so a method behaves the same whichever way it is reached.
import { create, type DescMessage, type DescMethodUnary, type DescService, type MessageShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createMethodImplSpec,
  createServiceImplSpec,
  type ConnectRouter,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";

type AnyFn = Parameters<Interceptor>[0];
type UnaryImplSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** A registered unary method: where it is served and what answers it. */
export interface UnaryMethod {
  readonly path: string;
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly impl: UnaryImplSpec["impl"];
}

/** The message connect's deadline signal carries; clients see it with DEADLINE_EXCEEDED. */
export const DEADLINE_MESSAGE = "the operation timed out";

/**
 * The unary methods a set of routes registers, by request path, with the server interceptors to run around them.
 * Routes register on `recorder(router)`: every service goes to connect's router as before and is recorded here too.
 */
export class UnaryMethods {
  readonly #byPath = new Map<string, UnaryMethod>();

  constructor(readonly interceptors: readonly Interceptor[]) {}

  /**
   * A router that forwards to `router` (when given) and records the unary methods. A service registered with its own
   * options (other interceptors, limits or protocols) is left to connect alone, since the fast paths would ignore them.
   */
  recorder(router?: ConnectRouter): ConnectRouter {
    const table = this;
    const wrapper: ConnectRouter = {
      get handlers() {
        return router?.handlers ?? [];
      },
      service(service, implementation, options) {
        router?.service(service, implementation, options);
        if (options === undefined) {
          for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) table.#add(spec);
        }
        return wrapper;
      },
      rpc(method, impl, options) {
        router?.rpc(method, impl, options);
        if (options === undefined) table.#add(createMethodImplSpec(method, impl));
        return wrapper;
      },
    };
    return wrapper;
  }

  get(path: string): UnaryMethod | undefined {
    return this.#byPath.get(path);
  }

  #add(spec: MethodImplSpec): void {
    if (spec.kind !== "unary") return;
    const path = `/${spec.method.parent.typeName}/${spec.method.name}`;
    this.#byPath.set(path, { path, service: spec.method.parent, method: spec.method, impl: spec.impl });
  }

  /**
   * Runs one call: the interceptors (outermost first, as connect applies them), then the implementation, whose result
   * is normalized to a message. Anything thrown that is not a ConnectError becomes INTERNAL, as connect does.
   */
  async invoke(target: UnaryMethod, ctx: UnaryContext, message: MessageShape<DescMessage>): Promise<UnaryResponse> {
    const innermost: AnyFn = async (req) => {
      const output = await target.impl(req.message as MessageShape<DescMessage>, req === request ? ctx : ctx.mergedWith(req));
      return {
        stream: false,
        service: target.service,
        method: target.method,
        header: ctx.responseHeader,
        trailer: ctx.responseTrailer,
        message: create(target.method.output, output),
      };
    };
    let next = innermost;
    for (let i = this.interceptors.length - 1; i >= 0; i--) next = (this.interceptors[i] as Interceptor)(next);
    // A getter, so that the AbortController exists only for calls that look at the signal.
    const request: UnaryRequest = {
      stream: false,
      service: target.service,
      method: target.method,
      requestMethod: "POST",
      url: ctx.url,
      get signal() {
        return ctx.signal;
      },
      header: ctx.requestHeader,
      contextValues: ctx.values,
      message,
    };
    try {
      return (await next(request)) as UnaryResponse;
    } catch (err) {
      throw err instanceof ConnectError ? err : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    }
  }
}

export interface UnaryContextInit {
  method: UnaryMethod;
  protocolName: string;
  url: string;
  requestHeader: Headers;
  /** Milliseconds left before the caller's deadline; undefined without one. */
  timeoutMs?: number | undefined;
  /** The caller's own signal (in-process calls); aborting it aborts the call. */
  signal?: AbortSignal | undefined;
  contextValues?: ContextValues;
}

/**
 * connect's HandlerContext for one unary call, built for the hot path: the AbortController, the response Headers and
 * the context values exist only once something asks for them (a profile of connect-node showed the per-call abort
 * objects alone at ≈ 9 % of its time), and the deadline is a number, not a timer.
 */
export class UnaryContext implements HandlerContext {
  readonly method: DescMethodUnary;
  readonly service: DescService;
  readonly requestMethod = "POST";
  readonly protocolName: string;
  readonly url: string;
  readonly requestHeader: Headers;
  /** When the caller's deadline passes (performance.now() clock); undefined without one. */
  readonly deadline: number | undefined;
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;
  private readonly linked: AbortSignal | undefined;
  private header: Headers | undefined;
  private trailer: Headers | undefined;
  private contextValues: ContextValues | undefined;

  constructor(init: UnaryContextInit) {
    this.method = init.method.method;
    this.service = init.method.service;
    this.protocolName = init.protocolName;
    this.url = init.url;
    this.requestHeader = init.requestHeader;
    this.deadline = init.timeoutMs === undefined ? undefined : performance.now() + init.timeoutMs;
    this.linked = init.signal;
    this.contextValues = init.contextValues;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.aborted) {
        controller.abort(this.reason);
      } else if (this.linked) {
        if (this.linked.aborted) controller.abort(this.linked.reason);
        else this.linked.addEventListener("abort", () => controller.abort(this.linked?.reason), { once: true });
      }
    }
    return this.controller.signal;
  }

  get responseHeader(): Headers {
    return (this.header ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.trailer ??= new Headers());
  }

  get values(): ContextValues {
    return (this.contextValues ??= createContextValues());
  }

  /** Response headers set so far, without creating them. */
  get headerIfAny(): Headers | undefined {
    return this.header;
  }

  /** Response trailers set so far, without creating them. */
  get trailerIfAny(): Headers | undefined {
    return this.trailer;
  }

  readonly timeoutMs = (): number | undefined =>
    this.deadline === undefined ? undefined : Math.max(0, Math.round(this.deadline - performance.now()));

  /** Aborts the signal (now, or when it is first read) with `reason`; later calls change nothing. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /**
   * What the implementation sees when an interceptor passed on a request other than the one it was given: connect
   * lets the request's service, headers, signal and context values win over the context's.
   */
  mergedWith(req: UnaryRequest | { service: DescService; header: Headers; signal: AbortSignal; contextValues: ContextValues }): HandlerContext {
    return {
      method: this.method,
      service: req.service,
      signal: req.signal,
      timeoutMs: this.timeoutMs,
      requestMethod: this.requestMethod,
      requestHeader: req.header,
      responseHeader: this.responseHeader,
      responseTrailer: this.responseTrailer,
      protocolName: this.protocolName,
      values: req.contextValues,
      url: this.url,
    };
  }
}
