import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// Both commands of the repository (ticketctl, and ticketing-server from packages/servers) start through a committed
// launcher, because npm links a bin on `npm ci` only when its file exists, and dist/ does not exist yet then.

const packages = fileURLToPath(new URL("../../", import.meta.url));
const LAUNCHERS = [
  { pkg: "cli", bin: "ticketctl" },
  { pkg: "servers", bin: "ticketing-server" },
] as const;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The machine's own node when it is older than the launchers accept (the case they hand over for), else undefined. */
function oldNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(candidate)) continue;
    try {
      const [major, minor] = execFileSync(candidate, ["-p", "process.versions.node"]).toString().trim().split(".").map(Number);
      if ((major as number) < 22 || (major === 22 && (minor as number) < 12)) return candidate;
    } catch {
      // not runnable: no old node to try
    }
  }
  return undefined;
}

/** A repository-shaped temp dir: packages/<pkg>/bin/<launcher>, a stub dist/main.js, and .tools/node/bin/node. */
function fakeRepo(pkg: string, bin: string) {
  const root = mkdtempSync(join(tmpdir(), "launcher-"));
  dirs.push(root);
  const dir = join(root, "packages", pkg);
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  copyFileSync(join(packages, pkg, "bin", `${bin}.js`), join(dir, "bin", `${bin}.js`));
  // The CLI's launcher calls main(); the server's main.js runs on import.
  writeFileSync(
    join(dir, "dist", "main.js"),
    'const say = () => console.log(`entry ran on ${process.version} with ${process.argv.slice(2).join(" ")}`);\n' +
      (pkg === "cli" ? "export async function main() { say(); }\n" : "say();\n"),
  );
  mkdirSync(join(root, ".tools", "node", "bin"), { recursive: true });
  symlinkSync(process.execPath, join(root, ".tools", "node", "bin", "node"));
  return { root, launcher: join(dir, "bin", `${bin}.js`), dist: join(dir, "dist") };
}

describe.each(LAUNCHERS)("the $bin launcher", ({ pkg, bin }) => {
  it("is what package.json's bin names: committed, executable, outside dist/", () => {
    const manifest = JSON.parse(readFileSync(join(packages, pkg, "package.json"), "utf8")) as { bin: Record<string, string>; files?: string[] };
    expect(manifest.bin).toEqual({ [bin]: `./bin/${bin}.js` });
    accessSync(join(packages, pkg, "bin", `${bin}.js`), constants.X_OK);
    if (manifest.files) expect(manifest.files).toContain("bin");
  });

  it("hands its arguments to the compiled entry", () => {
    const { launcher } = fakeRepo(pkg, bin);
    const out = execFileSync(process.execPath, [launcher, "event", "list"]).toString();
    expect(out).toBe(`entry ran on ${process.version} with event list\n`);
  });

  it("says to build first when dist/ is missing", () => {
    const { launcher, dist } = fakeRepo(pkg, bin);
    rmSync(dist, { recursive: true });
    const res = spawnSync(process.execPath, [launcher, "--version"]);
    expect(res.status).toBe(1);
    expect(res.stderr.toString()).toMatch(new RegExp(`^${bin} is not compiled yet: run \`make build\``));
  });

  const old = oldNode();
  it.skipIf(!old)("under an older node, runs on the repository's .tools/node instead", () => {
    const { launcher, root } = fakeRepo(pkg, bin);
    const out = execFileSync(old as string, [launcher, "--version"]).toString();
    expect(out).toBe(`entry ran on ${process.version} with --version\n`);
    rmSync(join(root, ".tools"), { recursive: true });
    const res = spawnSync(old as string, [launcher, "--version"]);
    expect(res.status).toBe(1);
    expect(res.stderr.toString()).toContain(`${bin} needs Node.js 22.12 or newer`);
  });
});

describe("ticketctl writing into a pipe that closes early", () => {
  it("exits quietly, as `ticketctl --help | head -1` expects", async () => {
    const { spawn } = await import("node:child_process");
    const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
    const child = spawn(process.execPath, [main, "event", "create", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // The reader goes away before the help is written out, like `head` after its first line.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(stderr).not.toContain("EPIPE");
    expect(code).toBe(0);
  });
});
