// Text a request may carry: every string field of every request, however deep, is checked before a handler sees it.
// PostgreSQL cannot store U+0000 in text (the statement fails, after whatever ran before it), and an unpaired
// surrogate (JSON can spell one as "\ud800") is no text at all. Invalid UTF-8 never gets this far: the binary and
// JSON decoders refuse it (request-limits.ts, grpc-unary.ts).
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { invalid } from "./errors.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` is text PostgreSQL and every client can take. */
export const isText = (value: string) => !value.includes("\u0000") && !LONE_SURROGATE.test(value);

const withText = new Map<DescMessage, boolean>();

/** Whether a message of this type can hold a string anywhere (cached; most checks of a request end here). */
function holdsText(desc: DescMessage, seen = new Set<DescMessage>()): boolean {
  const known = withText.get(desc);
  if (known !== undefined) return known;
  if (seen.has(desc)) return false;
  seen.add(desc);
  const result = desc.fields.some((f) => {
    if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) return holdsText(f.message, seen);
    if (f.fieldKind === "map") return f.mapKey === ScalarType.STRING || (f.mapKind === "message" ? holdsText(f.message, seen) : f.mapKind === "scalar" && f.scalar === ScalarType.STRING);
    return (f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) && f.scalar === ScalarType.STRING;
  });
  withText.set(desc, result);
  return result;
}

/** The path of the first field of `message` that is not text, or undefined. */
function badTextField(desc: DescMessage, message: Record<string, unknown>, path = ""): string | undefined {
  if (!holdsText(desc)) return undefined;
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      const chosen = message[member.localName] as { case?: string; value?: unknown } | undefined;
      const field = member.fields.find((f) => f.localName === chosen?.case);
      const bad = field && badValue(field, chosen?.value, path);
      if (bad) return bad;
    } else {
      const bad = badValue(member, message[member.localName], path);
      if (bad) return bad;
    }
  }
  return undefined;
}

function badValue(field: DescField, value: unknown, path: string): string | undefined {
  const name = path + field.name;
  switch (field.fieldKind) {
    case "scalar":
      return field.scalar === ScalarType.STRING && typeof value === "string" && !isText(value) ? name : undefined;
    case "message":
      return value === undefined ? undefined : badTextField(field.message, value as Record<string, unknown>, `${name}.`);
    case "list": {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (field.listKind === "message") {
          const bad = badTextField(field.message, item as Record<string, unknown>, `${name}[${i}].`);
          if (bad) return bad;
        } else if (typeof item === "string" && !isText(item)) {
          return `${name}[${i}]`;
        }
      }
      return undefined;
    }
    case "map":
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (!isText(key)) return name;
        if (field.mapKind === "message") {
          const bad = badTextField(field.message, item as Record<string, unknown>, `${name}[${JSON.stringify(key)}].`);
          if (bad) return bad;
        } else if (typeof item === "string" && !isText(item)) {
          return `${name}[${JSON.stringify(key)}]`;
        }
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Refuses a unary request with a string that is not text: INVALID_ARGUMENT naming the field, before any work. */
export function textInterceptor(): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) {
      const field = badTextField(req.method.input, req.message as unknown as Record<string, unknown>);
      if (field !== undefined) {
        throw invalid([{ field, description: "must be text: no NUL characters and no unpaired surrogates" }]);
      }
    }
    return next(req);
  };
}
