// Test support for the in-memory stores of the unit tests: what PostgreSQL does for them that they must copy.

/**
 * A page of a listing newest first, as `newestFirst` (platform/db.ts) reads it: the rows after the (created_at, id)
 * key `after` of the previous page, by created_at then id, both descending.
 */
export function newestFirstInMemory<T extends { createdAt: Date; id: string }>(rows: Iterable<T>, after: string[] | undefined, limit: number): T[] {
  const [afterAt, afterId] = after ?? [];
  const at = afterAt === undefined ? NaN : Date.parse(afterAt);
  const beforeKey = (r: T) =>
    afterId === undefined || Number.isNaN(at) || r.createdAt.getTime() < at || (r.createdAt.getTime() === at && r.id < afterId);
  return [...rows]
    .filter(beforeKey)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
}
