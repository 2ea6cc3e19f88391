import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { RPC_ROLES } from "./auth.js";

describe("the README's authorization table", () => {
  it("lists exactly the RPCs that need a role, with the roles the servers enforce", async () => {
    const readme = await readFile(new URL("../../../../README.md", import.meta.url), "utf8");
    const documented = new Map(
      [...readme.matchAll(/^\| `(\w+Service\/\w+)` \| ([a-z, ]+) \|$/gm)].map((m) => [m[1], m[2]!.split(", ").sort()]),
    );
    const enforced = new Map(Object.entries(RPC_ROLES).map(([rpc, roles]) => [rpc.replace(/^ticketing\.\w+\.v1\./, ""), [...roles].sort()]));
    expect(documented).toEqual(enforced);
  });
});
