import { pino, type Logger } from "pino";
import { PinoPretty } from "pino-pretty";

export type { Logger };

/** json: one object per line, for collectors. pretty: short coloured lines, for a person at a terminal. */
export type LogFormat = "json" | "pretty";

/**
 * Structured logs. Requests are logged by the interceptor with method, code, duration and request id; request
 * and response bodies never are (they carry personal data and tokens).
 */
export function createLogger(level: string, base: Record<string, unknown> = {}, format: LogFormat = "json"): Logger {
  const options = {
    level,
    base: { ...base },
    redact: { paths: ["authorization", "*.authorization", "token", "*.token"], censor: "[redacted]" },
  };
  if (format === "json") return pino(options);
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
