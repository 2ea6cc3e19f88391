import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** How calls are retried when the server is unavailable. */
export interface RetryOptions {
  /** Attempts in all, the first one included. Default 4; 1 turns retries off. */
  maxAttempts?: number;
  /** Delay before the first retry, in milliseconds; doubles on each retry. Default 100. */
  initialDelayMs?: number;
  /** Upper bound of one delay, in milliseconds. Default 2000. */
  maxDelayMs?: number;
}

const RETRYABLE_LEVELS = new Set([
  MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS,
  MethodOptions_IdempotencyLevel.IDEMPOTENT,
]);

/**
 * Retries unary calls that failed with UNAVAILABLE, with exponential backoff and full jitter.
 *
 * Only methods the proto declares idempotent are retried: reads (NO_SIDE_EFFECTS) and mutations that carry an
 * idempotency key (IDEMPOTENT). Every other error, and every streaming call, goes straight back to the caller.
 */
export function retryInterceptor(options: RetryOptions = {}, random: () => number = Math.random): Interceptor {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  return (next) => async (req) => {
    if (req.stream || !RETRYABLE_LEVELS.has(req.method.idempotency)) {
      return next(req);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const code = ConnectError.from(err).code;
        if (code !== Code.Unavailable || attempt >= maxAttempts || req.signal.aborted) {
          throw err;
        }
        const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
        await sleep(random() * ceiling, req.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(ConnectError.from(signal.reason ?? new Error("aborted"), Code.Canceled));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
