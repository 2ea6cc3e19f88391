// One rule for every mutation that takes an idempotency key: the key is bound to the first request it came with, per
// caller and method. A retry with the same key and the same request runs as before (every mutation is safe to
// repeat, and most answer the first outcome); the same key with another request is INVALID_ARGUMENT, because the
// caller has mixed up two requests and whichever one we honoured, we would be guessing.
// docs/adr/0006-hostile-input.md.
import { toBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { sql } from "kysely";
import { createHash } from "node:crypto";
import { callerKey } from "./auth.js";
import type { Em } from "./db.js";
import { DomainError, invalid, type ErrorKind } from "./errors.js";

/** Longest idempotency key accepted, in characters. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** Where a service keeps its keys: its database and schema. */
export interface KeyStore {
  em: Em;
  schema: string;
}

/** For each method: whether its requests are checked (they change something, and carry more than the key). */
const checked = new Map<DescMethod, boolean>();

function isChecked(method: DescMethod): boolean {
  let result = checked.get(method);
  if (result === undefined) {
    const fields = method.input.fields;
    result =
      method.methodKind === "unary" &&
      method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS &&
      fields.some((f) => f.name === "idempotency_key" && f.fieldKind === "scalar") &&
      fields.length > 1;
    checked.set(method, result);
  }
  return result;
}

/** SHA-256 of the request without its key: what a retry must repeat exactly. */
function requestHash(input: DescMessage, message: { idempotencyKey: string }): string {
  return createHash("sha256")
    .update(toBinary(input, { ...message, idempotencyKey: "" } as unknown as Parameters<typeof toBinary>[1]))
    .digest("base64url");
}

const reused = () =>
  invalid([{ field: "idempotency_key", description: "was used before with another request: a new request needs a new key" }]);

/**
 * Binds each idempotency key to its request's hash in the service's `request_key` table, before the handler runs;
 * refuses the key with another request. A key whose first request is refused outright (invalid, not found, not
 * allowed) is freed again. Runs after authentication (keys are per caller) and the text check.
 * `stores` maps a service's type name to where its keys are kept; services not in it are not checked.
 */
export function idempotencyInterceptor(stores: ReadonlyMap<string, KeyStore>): Interceptor {
  return (next) => async (req) => {
    if (req.stream || !isChecked(req.method)) return next(req);
    const message = req.message as unknown as { idempotencyKey: string };
    const key = message.idempotencyKey;
    const store = stores.get(req.service.typeName);
    if (key === "" || store === undefined) return next(req);
    if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw invalid([{ field: "idempotency_key", description: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` }]);
    }
    const caller = req.contextValues.get(callerKey)?.sub ?? "";
    const hash = requestHash(req.method.input, message);
    const db = store.em.getKysely();
    const table = sql.table(`${store.schema}.request_key`);
    const method = req.method.name;
    const { rows } = await sql<{ request_hash: string; fresh: boolean }>`
      insert into ${table} as k (caller, method, key, request_hash) values (${caller}, ${method}, ${key}, ${hash})
      on conflict (caller, method, key) do update set request_hash = k.request_hash
      returning k.request_hash, (k.xmax = 0) as fresh`.execute(db);
    if (rows[0]?.request_hash !== hash) throw reused();
    try {
      return await next(req);
    } catch (err) {
      // A request refused outright did nothing: its key stays free, so that a rejected request changes nothing.
      if (rows[0]?.fresh && isRefusal(err)) {
        await sql`delete from ${table} where caller = ${caller} and method = ${method} and key = ${key}`.execute(db).catch(() => undefined);
      }
      throw err;
    }
  };
}

/** Keys deleted per statement by `forgetOldKeys`. */
const FORGET_BATCH = 5_000;

/**
 * Deletes the keys bound longer ago than `olderThanSeconds`, oldest first, a batch per statement (so no statement
 * holds many row locks or runs long); returns how many. Safe to run from several replicas at once.
 */
export async function forgetOldKeys(store: KeyStore, olderThanSeconds: number, batch = FORGET_BATCH): Promise<number> {
  const db = store.em.getKysely();
  const table = sql.table(`${store.schema}.request_key`);
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from ${table} where ctid in (
        select ctid from ${table} where created_at < now() - make_interval(secs => ${olderThanSeconds})
        order by created_at limit ${batch} for update skip locked)`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0);
    total += deleted;
    if (deleted < batch) return total;
  }
}

const REFUSALS: ReadonlySet<ErrorKind> = new Set(["InvalidArgument", "NotFound", "PermissionDenied", "Unauthenticated"]);
const REFUSAL_CODES: ReadonlySet<Code> = new Set([Code.InvalidArgument, Code.NotFound, Code.PermissionDenied, Code.Unauthenticated]);

const isRefusal = (err: unknown) =>
  (err instanceof DomainError && REFUSALS.has(err.kind)) || (err instanceof ConnectError && REFUSAL_CODES.has(err.code));
