import { describe, expect, it } from "vitest";
import { buildProgram } from "./program.js";

describe("ticketctl", () => {
  it("prints its version from package.json", async () => {
    let out = "";
    const program = buildProgram()
      .exitOverride()
      .configureOutput({ writeOut: (s) => (out += s) });
    await expect(program.parseAsync(["node", "ticketctl", "--version"])).rejects.toMatchObject({
      code: "commander.version",
    });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
