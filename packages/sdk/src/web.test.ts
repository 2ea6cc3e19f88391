import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

// Follows the browser entry's relative imports through the sources and collects every bare import, so a Node
// built-in or the Node transport creeping into the browser bundle fails here.
async function bareImportsOf(entry: URL): Promise<Set<string>> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as URL;
    if (seen.has(file.href)) continue;
    seen.add(file.href);
    const source = await readFile(file, "utf8");
    for (const match of source.matchAll(/(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)) {
      const spec = match[1] as string;
      if (spec.startsWith(".")) {
        queue.push(new URL(spec.replace(/\.js$/, ".ts"), file));
      } else {
        bare.add(spec);
      }
    }
  }
  return bare;
}

describe("the browser entry", () => {
  it("imports no Node built-ins and not the Node transport", async () => {
    const imports = [...(await bareImportsOf(new URL("./web.ts", import.meta.url)))];
    expect(imports).toContain("@connectrpc/connect-web");
    expect(imports.filter((s) => s.startsWith("node:") || s === "@connectrpc/connect-node")).toEqual([]);
  });

  it("is what bundlers pick under the browser condition", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(pkg.exports["."].browser.default).toBe("./dist/web.js");
    expect(pkg.exports["./web"].default).toBe("./dist/web.js");
  });
});
