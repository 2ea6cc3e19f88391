// The OpenTelemetry Node SDK, imported only by startTracing (tracing.ts): a process that does not trace never loads it.
import { NodeSDK } from "@opentelemetry/sdk-node";

type SpanProcessor = NonNullable<NonNullable<ConstructorParameters<typeof NodeSDK>[0]>["spanProcessors"]>;

/**
 * Starts the SDK for traces only: W3C trace context and baggage propagation (OTEL_PROPAGATORS), an async-local
 * context manager, and spans batched to the OTLP exporter that OTEL_EXPORTER_OTLP_* configure (http/protobuf by
 * default) — or to `spanProcessors` when given. No metrics (Prometheus serves those) and no log export (pino
 * writes the logs, with trace and span ids). No automatic instrumentation: the RPC, Kafka and database spans are
 * the platform's own (tracing.ts).
 */
export function startSdk(serviceName: string, spanProcessors?: unknown[]): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: process.env["OTEL_SERVICE_NAME"] || serviceName,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    ...(spanProcessors ? { spanProcessors: spanProcessors as SpanProcessor } : {}),
  });
  sdk.start();
  return sdk;
}
