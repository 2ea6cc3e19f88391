import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SERVICES } from "./services.js";

describe("the README's authorization table", () => {
  it("lists exactly the RPCs that need a role, with the roles the services declare", async () => {
    const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
    const documented = new Map(
      [...readme.matchAll(/^\| `(\w+Service\/\w+)` \| ([a-z, ]+) \|$/gm)].map((m) => [m[1], m[2]!.split(", ").sort()]),
    );
    const declared = new Map(
      SERVICES.flatMap((s) => Object.entries(s.roles).map(([method, roles]) => [`${s.descriptor.name}/${method}`, [...roles].sort()])),
    );
    expect(documented).toEqual(declared);
  });
});

describe("the service list", () => {
  it("gives every service its own name, schema, API and port", () => {
    for (const key of ["name", "port"] as const) expect(new Set(SERVICES.map((s) => s[key])).size).toBe(SERVICES.length);
    expect(new Set(SERVICES.map((s) => s.schema.schema)).size).toBe(SERVICES.length);
    expect(new Set(SERVICES.map((s) => s.descriptor.typeName)).size).toBe(SERVICES.length);
    for (const s of SERVICES) expect(s.schema.schema).toBe(s.name);
  });
});
