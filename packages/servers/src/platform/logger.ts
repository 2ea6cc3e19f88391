import { pino, type Logger } from "pino";
import { PinoPretty } from "pino-pretty";
import { traceFields, tracingEnabled, tracingWanted } from "./trace-state.js";

export type { Logger };

/** json: one object per line, for collectors. pretty: short coloured lines, for a person at a terminal. */
export type LogFormat = "json" | "pretty";

/**
 * Structured logs. Requests are logged by the interceptor with method, code, duration and request id; request
 * and response bodies never are (they carry personal data and tokens).
 */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  format: LogFormat = "json",
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level,
    base: { ...base },
    redact: { paths: ["authorization", "*.authorization", "token", "*.token"], censor: "[redacted]" },
    // trace_id and span_id of the active span on every line of a process that traces; no hook at all in one that does not.
    ...(tracingEnabled() || tracingWanted() ? { mixin: traceFields } : {}),
  };
  if (format === "json") return destination ? pino(options, destination) : pino(options);
  return pino(
    options,
    PinoPretty({
      colorize: true,
      singleLine: true,
      translateTime: "SYS:HH:MM:ss",
      // The same on every line of a process: the banner already says who it is.
      ignore: "pid,hostname,services",
      // In the process's own thread and in order with the banner, which is written with process.stderr.write.
      sync: true,
    }),
  );
}
