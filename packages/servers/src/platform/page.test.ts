import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken, pageSize, paginate } from "./page.js";

describe("pagination", () => {
  it("round-trips page tokens and rejects foreign ones", () => {
    const token = encodePageToken(["2027-01-01T00:00:00.000Z", "id-1"]);
    expect(decodePageToken(token, 2)).toEqual(["2027-01-01T00:00:00.000Z", "id-1"]);
    expect(decodePageToken("", 2)).toBeUndefined();
    expect(() => decodePageToken("garbage!", 2)).toThrow(/page_token/);
    expect(() => decodePageToken(encodePageToken(["only-one"]), 2)).toThrow(/page_token/);
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
    expect(decodePageToken(page.next, 1)).toEqual(["2"]);
  });
});
