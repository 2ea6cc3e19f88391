import { describe, expect, it } from "vitest";
import { SoldOutMemory } from "./sold-out.js";

describe("sold-out memory", () => {
  it("refuses from memory until the answer is old, then lets exactly one caller ask booking", async () => {
    let now = 0;
    let asked = 0;
    let left = 0;
    let answer: () => void = () => {};
    const memory = new SoldOutMemory(
      () => {
        asked++;
        return new Promise<number>((resolve) => (answer = () => resolve(left)));
      },
      1000,
      () => now,
    );
    expect(memory.isSoldOut("t")).toBe(false);
    memory.soldOut("t");
    expect(memory.isSoldOut("t")).toBe(true);
    now = 1500;
    const probe = memory.isSoldOut("t");
    expect(probe).toBeInstanceOf(Promise);
    // Everyone else is answered from memory while the probe is out.
    for (let i = 0; i < 100; i++) expect(memory.isSoldOut("t")).toBe(true);
    answer();
    expect(await probe).toBe(true);
    expect(asked).toBe(1);
    expect(memory.isSoldOut("t")).toBe(true);

    now = 3000;
    left = 3;
    const second = memory.isSoldOut("t");
    answer();
    expect(await second).toBe(false);
    expect(memory.isSoldOut("t")).toBe(false);
    expect(asked).toBe(2);
  });

  it("forgets at once when units come back, and keeps believing when booking cannot be asked", async () => {
    let now = 0;
    const memory = new SoldOutMemory(() => Promise.reject(new Error("booking down")), 1000, () => now);
    memory.soldOut("t");
    memory.returned("t");
    expect(memory.isSoldOut("t")).toBe(false);
    memory.soldOut("t");
    now = 2000;
    expect(await memory.isSoldOut("t")).toBe(true);
    expect(memory.isSoldOut("t")).toBe(true);
  });
});
