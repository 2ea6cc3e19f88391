// OpenTelemetry tracing, off unless started. This module needs only the API package; the SDK (otel-sdk.ts) is
// imported by startTracing alone, so a process without OTEL_EXPORTER_OTLP_ENDPOINT never loads it. While tracing is
// off the platform installs none of the interceptors and wrappers below.
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Bus, BusMessage, SubscribeOptions } from "./bus.js";
import { setTracing, tracingEnabled } from "./trace-state.js";

const tracer = () => trace.getTracer("ticketing");

/** What a started SDK gives back. */
export interface Tracing {
  /** Flushes the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/** Span processors to use instead of the OTLP exporter (tests: an in-memory exporter). */
export type SpanProcessors = unknown[];

/**
 * Starts the OpenTelemetry Node SDK for this process: W3C trace context, spans exported over OTLP (the exporter reads
 * OTEL_EXPORTER_OTLP_* itself), or to `spanProcessors` when given. Call before the platform starts.
 */
export async function startTracing(serviceName: string, spanProcessors?: SpanProcessors): Promise<Tracing> {
  const { startSdk } = await import("./otel-sdk.js");
  const sdk = startSdk(serviceName, spanProcessors);
  setTracing(true);
  return {
    async shutdown() {
      setTracing(false);
      await sdk.shutdown();
    },
  };
}

const headerGetter = {
  keys: (h: Headers) => {
    const keys: string[] = [];
    h.forEach((_, key) => keys.push(key));
    return keys;
  },
  get: (h: Headers, key: string) => h.get(key) ?? undefined,
};
const headerSetter = { set: (h: Headers, key: string, value: string) => h.set(key, value) };

type Call = { service: { typeName: string }; method: { name: string } };

const rpcAttributes = (req: Call) => ({ "rpc.system": "grpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name });

function ended<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      const code = err instanceof ConnectError ? err.code : Code.Internal;
      span.setAttribute("rpc.grpc.status_code", code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof ConnectError ? Code[code] : "internal" });
      span.end();
      throw err;
    },
  );
}

/**
 * Server side: continues the caller's trace from its `traceparent` header (a new trace if none) with a SERVER span
 * named after the method, active while the call runs. Installed only while tracing is on.
 */
export function tracingServerInterceptor(): Interceptor {
  return (next) => (req) => {
    const parent = propagation.extract(context.active(), req.header, headerGetter);
    const span = tracer().startSpan(`${req.service.typeName}/${req.method.name}`, { kind: SpanKind.SERVER, attributes: rpcAttributes(req) }, parent);
    return ended(span, context.with(trace.setSpan(parent, span), () => next(req)));
  };
}

/** Client side: a CLIENT span per call, its context sent along as `traceparent`. */
export function tracingClientInterceptor(): Interceptor {
  return (next) => (req) => {
    const span = tracer().startSpan(`${req.service.typeName}/${req.method.name}`, { kind: SpanKind.CLIENT, attributes: rpcAttributes(req) });
    const ctx = trace.setSpan(context.active(), span);
    propagation.inject(ctx, req.header, headerSetter);
    return ended(span, context.with(ctx, () => next(req)));
  };
}

/** Runs `work` in an INTERNAL span (a scheduled job, say) that is the root of its own trace. */
export function inSpan<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return work();
  const span = tracer().startSpan(name, { kind: SpanKind.INTERNAL, root: true });
  return ended(span, context.with(trace.setSpan(context.active(), span), work));
}

function consumerSpan(message: BusMessage, group: string): { span: Span; ctx: Context } {
  const parent = message.traceContext ? propagation.extract(context.active(), { traceparent: message.traceContext }) : context.active();
  const span = tracer().startSpan(
    `${message.topic} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": message.topic,
        "messaging.consumer.group.name": group,
        "messaging.message.id": message.eventId,
        "messaging.kafka.message.key": message.key,
        "ticketing.event.type": message.type,
      },
    },
    parent,
  );
  return { span, ctx: trace.setSpan(parent, span) };
}

function finish(spans: Span[], work: Promise<void>): Promise<void> {
  return work.then(
    () => spans.forEach((s) => s.end()),
    (err: unknown) => {
      for (const s of spans) {
        s.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        s.end();
      }
      throw err;
    },
  );
}

/**
 * A subscription whose handlers continue the trace each message carries (its `traceparent` header, written by the
 * producer's outbox): one CONSUMER span per message, child of the span that wrote the event. A batch handled in one
 * go gets one span per message over the same work; the work runs in the first message's span.
 */
function traced(options: SubscribeOptions): SubscribeOptions {
  const { handle, handleBatch, group } = options;
  return {
    ...options,
    handle: (message) => {
      const { span, ctx } = consumerSpan(message, group);
      return finish([span], context.with(ctx, () => handle(message)));
    },
    ...(handleBatch
      ? {
          handleBatch: (messages: readonly BusMessage[]) => {
            const spans = messages.map((m) => consumerSpan(m, group));
            const first = spans[0]?.ctx ?? context.active();
            return finish(
              spans.map((s) => s.span),
              context.with(first, () => handleBatch(messages)),
            );
          },
        }
      : {}),
  };
}

interface QueryableClient {
  database?: string;
  query(...args: unknown[]): unknown;
}

const PATCHED = Symbol.for("ticketing.tracing.pg");
const MAX_STATEMENT_CHARS = 1000;

/**
 * Database spans: every query a pool's clients run while a span is active gets a CLIENT span of its own, with the
 * statement's text (parameters are never inlined by the services, so no values are recorded). Queries outside any
 * trace (the relays' and jobs' polling) are not recorded. Patches the pool's client class once per process.
 */
export function traceQueries(pool: object): void {
  const proto = (pool as { Client?: { prototype: QueryableClient } }).Client?.prototype as (QueryableClient & { [PATCHED]?: boolean }) | undefined;
  if (!tracingEnabled() || !proto || proto[PATCHED]) return;
  proto[PATCHED] = true;
  const original = proto.query;
  proto.query = function (this: QueryableClient, ...args: unknown[]) {
    const parent = context.active();
    const config = args[0] as string | { text?: string; name?: string; submit?: unknown } | undefined;
    if (!tracingEnabled() || !trace.getSpan(parent) || (typeof config === "object" && typeof config?.submit === "function")) {
      return original.apply(this, args);
    }
    const text = (typeof config === "string" ? config : config?.text) ?? "";
    const operation = /^\s*([a-zA-Z]+)/.exec(text)?.[1]?.toUpperCase() ?? "QUERY";
    const span = tracer().startSpan(
      `${operation} ${this.database ?? "postgresql"}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "db.system.name": "postgresql",
          "db.namespace": this.database ?? "",
          "db.operation.name": operation,
          "db.query.text": text.slice(0, MAX_STATEMENT_CHARS),
          ...(typeof config === "object" && config?.name ? { "db.query.summary": config.name } : {}),
        },
      },
      parent,
    );
    const fail = (err: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? "error" });
      span.end();
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (err: unknown, res: unknown) => {
        if (err) fail(err);
        else span.end();
        return (callback as (e: unknown, r: unknown) => unknown)(err, res);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args) as Promise<unknown>;
    result.then(() => span.end(), fail);
    return result;
  };
}

/** The bus with subscriptions that continue the traces their messages carry (see `traced`); itself while tracing is off. */
export function tracedSubscriptions(bus: Bus): Bus {
  if (!tracingEnabled()) return bus;
  return {
    publish: (messages) => bus.publish(messages),
    subscribe: (options) => bus.subscribe(traced(options)),
    close: () => bus.close(),
  };
}
