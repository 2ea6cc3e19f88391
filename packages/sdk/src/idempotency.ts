import { clone } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";

/** The request field that makes a mutating call safe to retry. */
const KEY_FIELD = "idempotencyKey";

/**
 * Fills in `idempotency_key` on every request message that has one and left it empty.
 *
 * It must run outside the retry interceptor: the key is chosen once per call, so every retry of that call carries
 * the same key and the server applies the change once. A caller that retries on its own (across restarts, say)
 * should pass its own key.
 */
export function idempotencyKeyInterceptor(newKey: () => string = () => crypto.randomUUID()): Interceptor {
  return (next) => async (req) => {
    if (req.stream) {
      return next(req);
    }
    const field = req.method.input.field[KEY_FIELD];
    if (field?.fieldKind !== "scalar") {
      return next(req);
    }
    const message = req.message as unknown as Record<string, unknown>;
    if (message[KEY_FIELD]) {
      return next(req);
    }
    const keyed = clone(req.method.input, req.message);
    (keyed as unknown as Record<string, unknown>)[KEY_FIELD] = newKey();
    return next({ ...req, message: keyed });
  };
}
