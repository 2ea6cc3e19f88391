import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { withIdempotencyKey } from "./idempotency.js";
import { isConnectionFailure } from "./errors.js";

/** How calls are retried when the server is unavailable or an attempt ran out of time. */
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

const defaults = (options: RetryOptions) => ({
  maxAttempts: Math.max(1, options.maxAttempts ?? 4),
  initialDelayMs: options.initialDelayMs ?? 100,
  maxDelayMs: options.maxDelayMs ?? 2000,
});

/** Exponential backoff with full jitter: a random delay up to initialDelayMs · 2^(attempt-1), capped. */
const backoff = (o: ReturnType<typeof defaults>, attempt: number, random: () => number) =>
  random() * Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (attempt - 1));

/**
 * The SDK's retries, around a whole transport: unary calls of methods the proto declares NO_SIDE_EFFECTS or
 * IDEMPOTENT are tried again on UNAVAILABLE and DEADLINE_EXCEEDED, each attempt with its own deadline (`timeoutMs`
 * of the call or of the client), with backoff and full jitter between attempts. The idempotency key is filled in
 * once, before the first attempt, so the server sees the same key every time and applies the change once. The
 * caller's own AbortSignal stops the attempts and the waits. Streaming calls pass straight through.
 */
export function retryingTransport(
  inner: Transport,
  options: RetryOptions | false,
  newKey: () => string = () => crypto.randomUUID(),
  random: () => number = Math.random,
): Transport {
  const o = defaults(options === false ? { maxAttempts: 1 } : options);
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const message = withIdempotencyKey(method, input, newKey) ?? input;
      const attempts = RETRYABLE_LEVELS.has(method.idempotency) ? o.maxAttempts : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          return await inner.unary(method, signal, timeoutMs, header, message, contextValues);
        } catch (err) {
          if (signal?.aborted) throw err;
          // A connection that failed under the call (the server died or restarted) is UNAVAILABLE, however the
          // transport labelled it: the call may or may not have been applied, and the same key makes a retry safe.
          const failure = isConnectionFailure(err) ? asUnavailable(err as ConnectError) : err;
          const code = ConnectError.from(failure).code;
          const retryable = code === Code.Unavailable || code === Code.DeadlineExceeded;
          if (!retryable || attempt >= attempts) throw failure;
          await sleep(backoff(o, attempt, random), signal);
        }
      }
    },
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return inner.stream(method, signal, timeoutMs, header, input, contextValues);
    },
  };
}

function asUnavailable(err: ConnectError): ConnectError {
  if (err.code === Code.Unavailable) return err;
  return new ConnectError(`connection lost: ${err.rawMessage}`, Code.Unavailable, err.metadata, undefined, err);
}

/**
 * Retries unary calls that failed with UNAVAILABLE, with exponential backoff and full jitter, inside one call: the
 * call's deadline covers every attempt, so an attempt that ran out of time cannot be retried.
 *
 * @deprecated The SDK's clients retry with `retryingTransport` (per-attempt deadlines, DEADLINE_EXCEEDED retried);
 * this interceptor stays for clients built on other transports.
 */
export function retryInterceptor(options: RetryOptions = {}, random: () => number = Math.random): Interceptor {
  const o = defaults(options);
  return (next) => async (req) => {
    if (req.stream || !RETRYABLE_LEVELS.has(req.method.idempotency)) {
      return next(req);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (err) {
        const code = ConnectError.from(err).code;
        if (code !== Code.Unavailable || attempt >= o.maxAttempts || req.signal.aborted) {
          throw err;
        }
        await sleep(backoff(o, attempt, random), req.signal);
      }
    }
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise((resolve) => setTimeout(resolve, ms));
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
