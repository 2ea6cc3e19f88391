import { invalid } from "./errors.js";

/** Default and maximum page sizes of every list RPC. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/** Resolves a requested page size (0 = default); out of range is INVALID_ARGUMENT. */
export function pageSize(requested: number): number {
  if (requested === 0) return DEFAULT_PAGE_SIZE;
  if (requested < 0 || requested > MAX_PAGE_SIZE) {
    throw invalid([{ field: "page_size", description: `must be between 0 and ${MAX_PAGE_SIZE}` }]);
  }
  return requested;
}

/**
 * Page tokens are opaque to clients: the sort key of the last row returned, so the next page starts right after it
 * (keyset pagination: stable under concurrent inserts, unlike offsets).
 */
export function encodePageToken(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** What each part of a page token must be: a timestamp as the list's encoder wrote it, or a UUID. */
export type PagePart = "timestamp" | "uuid";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Reads a page token back, strictly: the parts must be what this list's tokens contain, or it is
 * INVALID_ARGUMENT (a token that merely decodes must never reach the database as garbage).
 */
export function decodePageToken(token: string, parts: readonly PagePart[]): string[] | undefined {
  if (token === "") return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      Array.isArray(key) &&
      key.length === parts.length &&
      key.every((k, i) => typeof k === "string" && (parts[i] === "uuid" ? UUID.test(k) : ISO.test(k) && !Number.isNaN(Date.parse(k))))
    ) {
      return key as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw invalid([{ field: "page_token", description: "is not a token this list returned" }]);
}

/** Splits one extra fetched row off a page: its presence means there is a next page. */
export function paginate<T>(rows: T[], size: number, keyOf: (row: T) => string[]): { items: T[]; next: string } {
  if (rows.length <= size) return { items: rows, next: "" };
  const items = rows.slice(0, size);
  return { items, next: encodePageToken(keyOf(items[items.length - 1] as T)) };
}
