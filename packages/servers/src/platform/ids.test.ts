import { describe, expect, it } from "vitest";
import { isUuid } from "./validate.js";
import { uuidv7 } from "./ids.js";

describe("uuidv7", () => {
  it("is a version 7, variant 1 UUID carrying its millisecond", () => {
    const at = Date.UTC(2026, 10, 25, 10, 0, 0, 123);
    const id = uuidv7(at);
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at);
  });

  it("sorts by time, and never repeats", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    const same = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    expect(new Set(same).size).toBe(5000);
  });
});
