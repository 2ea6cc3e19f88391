import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken, pageSize, paginate } from "./page.js";

describe("pagination", () => {
  const id = "5b1e8b52-6d0a-4c39-9c1e-1f2a3b4c5d6e";
  const parts = ["timestamp", "uuid"] as const;

  it("round-trips page tokens and rejects foreign ones", () => {
    const token = encodePageToken(["2027-01-01T00:00:00.000Z", id]);
    expect(decodePageToken(token, parts)).toEqual(["2027-01-01T00:00:00.000Z", id]);
    expect(decodePageToken("", parts)).toBeUndefined();
    expect(() => decodePageToken("garbage!", parts)).toThrow(/page_token/);
    expect(() => decodePageToken(encodePageToken(["only-one"]), parts)).toThrow(/page_token/);
  });

  it("refuses tokens that decode but whose parts are not what the list wrote", () => {
    for (const key of [["not a time", id], ["2027-01-01T00:00:00.000Z", "not-a-uuid"], ["2027-13-45T99:99:99.000Z", id], [1, id]]) {
      expect(() => decodePageToken(encodePageToken(key as string[]), parts), JSON.stringify(key)).toThrow(/page_token/);
    }
  });

  it("bounds page sizes", () => {
    expect(pageSize(0)).toBe(50);
    expect(pageSize(500)).toBe(500);
    expect(() => pageSize(501)).toThrow(/page_size/);
    expect(() => pageSize(-1)).toThrow(/page_size/);
  });

  it("signals a next page only when an extra row was fetched", () => {
    expect(paginate([1, 2], 2, (n) => [String(n)]).next).toBe("");
    const page = paginate([1, 2, 3], 2, (n) => [String(n)]);
    expect(page.items).toEqual([1, 2]);
    expect(JSON.parse(Buffer.from(page.next, "base64url").toString())).toEqual(["2"]);
  });
});
