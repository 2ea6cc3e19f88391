import { clone, create, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";

/** The request field that makes a mutating call safe to retry. */
const KEY_FIELD = "idempotencyKey";

/** A new key for requests whose method has an empty `idempotency_key` field; undefined when nothing needs one. */
export function withIdempotencyKey<I extends DescMessage>(
  method: DescMethod & { input: I },
  message: MessageInitShape<I>,
  newKey: () => string,
): MessageInitShape<I> | undefined {
  if (method.input.field[KEY_FIELD]?.fieldKind !== "scalar") return undefined;
  if ((message as Record<string, unknown>)[KEY_FIELD]) return undefined;
  // A copy: the caller's message stays as it was.
  const keyed = clone(method.input, create(method.input, message));
  (keyed as unknown as Record<string, unknown>)[KEY_FIELD] = newKey();
  return keyed as MessageInitShape<I>;
}

/**
 * Fills in `idempotency_key` on every request message that has one and left it empty.
 *
 * The SDK's own clients fill the key before their retry loop instead (one key per call, whatever the attempts);
 * this interceptor is for clients built on other transports. A caller that retries on its own (across restarts,
 * say) should pass its own key.
 */
export function idempotencyKeyInterceptor(newKey: () => string = () => crypto.randomUUID()): Interceptor {
  return (next) => async (req) => {
    if (req.stream) {
      return next(req);
    }
    const keyed = withIdempotencyKey(req.method, req.message, newKey);
    return keyed === undefined ? next(req) : next({ ...req, message: keyed as typeof req.message });
  };
}
