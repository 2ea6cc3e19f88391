import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Requests are logged by the interceptor with method, code, duration and request id; request
 * and response bodies never are (they carry personal data and tokens).
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { ...base },
    redact: { paths: ["authorization", "*.authorization", "token", "*.token"], censor: "[redacted]" },
  });
}
