// Whether this process traces, and the trace context of the running code: what the logger and the outbox ask on
// every line and every event. Only the OpenTelemetry API is imported here; tracing.ts starts and stops the SDK.
import { context, propagation, trace } from "@opentelemetry/api";

let enabled = false;

export function setTracing(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** Whether a process with this environment exports traces: an OTLP endpoint is configured. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env["OTEL_EXPORTER_OTLP_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
}

/** trace_id and span_id of the active span, for log lines (nothing while tracing is off). pino merges into the result. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The W3C traceparent of the active span, to store with an outbox event; undefined while tracing is off. */
export function currentTraceContext(): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier["traceparent"];
}
