import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "./config.js";

describe("the README's configuration table", () => {
  it("lists every variable the servers read, with its default", async () => {
    const readme = await readFile(new URL("../../../../README.md", import.meta.url), "utf8");
    for (const v of VARIABLES) {
      expect(readme, v.name).toContain(`| \`${v.name}\` | ${v.default} |`);
    }
  });

});
