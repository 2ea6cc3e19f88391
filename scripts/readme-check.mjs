#!/usr/bin/env node
// `make readme-check`: the README's quick start, on a fresh clone, exactly as written. Clones HEAD into a temp dir
// and runs the bash blocks between <!-- quick-start --> and <!-- /quick-start --> in README.md: the first (`make
// start`) in the background as the first terminal, until it prints its banner; then all the others, in order, in one
// bash shell (`set -euo pipefail`, each command echoed), as a second terminal. It fails on the first command that
// fails, when a block does not stop the platform it started, or when the time budget runs out.
//
// The shell is a newcomer's: PATH without this checkout's .tools/node (the clone installs its own, as a fresh
// clone does), no TICKETING_* or TICKETCTL_* variables, none of make's or npm's own (when run by them), and a temp XDG_CONFIG_HOME, so the user's ticketctl config
// is left alone. TICKETING_PORT is a free port: the README's commands take the address from what `make start`
// prints, never from a fixed port, so others' servers on 50600 do not get in the way.
//
// Besides the README's own lines, one more check: a second `make start` while the first runs fails at once with
// "port … is in use" and leaves the first one's pid file, so the README's `make stop` still finds it.
//
//   node scripts/readme-check.mjs [--budget SECONDS] [--keep]      (default budget 600 s; --keep leaves the clone)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { freePort } from "./lib/free-port.mjs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const budgetS = Number(args[args.indexOf("--budget") + 1] || 0) || Number(process.env.README_CHECK_BUDGET_S || 600);
const keep = args.includes("--keep");
const started = Date.now();
const left = () => budgetS * 1000 - (Date.now() - started);
const log = (line) => console.log(`readme-check: ${line}`);
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

const repo = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: import.meta.dirname, encoding: "utf8" }).stdout.trim();

/** The quick start's bash blocks, in README order. */
function quickStartBlocks(markdown) {
  const start = markdown.indexOf("<!-- quick-start");
  const end = markdown.indexOf("<!-- /quick-start -->");
  if (start < 0 || end < start) throw new Error("README.md has no <!-- quick-start --> … <!-- /quick-start --> section");
  return [...markdown.slice(start, end).matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const blocks = quickStartBlocks(readFileSync(join(repo, "README.md"), "utf8"));
if (blocks.length < 2) {
  console.error("readme-check: the quick start needs a start block and at least one block of commands");
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "readme-check-"));
const clone = join(work, "clone");
const port = await freePort();
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(TICKETING_|TICKETCTL_|npm_|MAKE|NODE_OPTIONS$|INIT_CWD$|MFLAGS$)/.test(k)),
);
env.PATH = (process.env.PATH ?? "")
  .split(":")
  .filter((dir) => !dir.includes("/.tools/node/bin") && !dir.endsWith("/node_modules/.bin"))
  .join(":");
env.XDG_CONFIG_HOME = join(work, "config");
env.TICKETING_PORT = String(port);

let server;
let failed = false;
function fail(message) {
  failed = true;
  console.error(`readme-check: FAILED: ${message}`);
}

/** Stops whatever the quick start left running (through its own `make stop` first), and removes the clone. */
function cleanup() {
  if (server && server.exitCode === null && server.signalCode === null) {
    spawnSync("make", ["--no-print-directory", "stop"], { cwd: clone, env, stdio: "ignore", timeout: 20_000 });
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
  if (keep) log(`clone kept in ${clone}`);
  else rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

/** Runs `script` with bash in the clone, echoing each command; resolves with its exit code (null: out of time). */
function bash(script, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script], { cwd: clone, env, stdio: ["ignore", "inherit", "inherit"], detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      resolve(null);
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

try {
  log(`cloning ${repo} (HEAD, not the work tree) into ${clone}`);
  const cloned = spawnSync("git", ["clone", "--quiet", repo, clone], { stdio: "inherit" });
  if (cloned.status !== 0) throw new Error("git clone failed");
  log(`${blocks.length} blocks from the README's quick start; port ${port}; node on PATH: ${spawnSync("node", ["--version"], { env, encoding: "utf8" }).stdout.trim() || "none"}`);

  // The first terminal: the start block, in the background, until the banner says the platform serves.
  const serverLog = join(work, "start.log");
  console.log(`\n--- terminal 1\n${blocks[0]}`);
  const out = openSync(serverLog, "a");
  server = spawn("bash", ["-euo", "pipefail", "-c", blocks[0]], { cwd: clone, env, stdio: ["ignore", out, out], detached: true });
  const exited = new Promise((resolve) => server.on("exit", (code, signal) => resolve({ code, signal })));
  let ready = false;
  while (!ready && left() > 0 && server.exitCode === null) {
    await new Promise((r) => setTimeout(r, 500));
    ready = readFileSync(serverLog, "utf8").includes("ticketing platform ready at");
  }
  if (!ready) {
    console.error(readFileSync(serverLog, "utf8"));
    throw new Error(server.exitCode === null ? `the platform did not come up within the budget (${budgetS} s)` : `the start block exited with ${server.exitCode}`);
  }
  log(`the platform serves after ${elapsed()}`);
  console.log(readFileSync(serverLog, "utf8").split("\n").filter((l) => !l.startsWith("{")).join("\n"));

  // Not a README line: a second start while one runs must fail at once and leave the first one's pid file.
  const pidBefore = readFileSync(join(clone, ".run", "server.pid"), "utf8");
  const t0 = Date.now();
  const second = spawnSync("make", ["--no-print-directory", "start"], { cwd: clone, env, encoding: "utf8", timeout: 30_000 });
  const secondMs = Date.now() - t0;
  console.log(`\n--- a second \`make start\` (${secondMs} ms, exit ${second.status}):\n${second.stderr.trim()}`);
  if (second.status === 0 || !/port \d+ is in use — is the platform already running\? `make stop` stops it/.test(second.stderr)) {
    throw new Error("a second make start did not refuse with 'port … is in use'");
  }
  if (secondMs > 10_000) throw new Error(`a second make start took ${secondMs} ms to refuse`);
  if (readFileSync(join(clone, ".run", "server.pid"), "utf8") !== pidBefore) throw new Error("a second make start changed .run/server.pid");

  // The second terminal: every other block, in order, in one shell.
  const script = ["set -euo pipefail", "PS4='+ README: '", "set -x", ...blocks.slice(1)].join("\n");
  console.log("\n--- terminal 2");
  const code = await bash(script, Math.max(left(), 1000));
  if (code === null) throw new Error(`the quick start's commands ran out of the budget (${budgetS} s)`);
  if (code !== 0) throw new Error(`a quick start command failed (exit ${code}): the last '+ README:' line above`);

  // The README stops the platform itself (make stop): the first terminal's command must end, and cleanly.
  const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), Math.min(Math.max(left(), 1000), 30_000)))]);
  if (!end) throw new Error("the platform still runs after the quick start's last block");
  if (end.code !== 0) throw new Error(`make start ended with ${end.code ?? end.signal}:\n${readFileSync(serverLog, "utf8").slice(-2000)}`);
  for (const leftover of [".run/server.pid", ".run/env"]) {
    if (existsSync(join(clone, leftover))) throw new Error(`${leftover} is still there after make stop`);
  }
  log(`the quick start works as written (${elapsed()})`);
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
} finally {
  cleanup();
}
process.exit(failed ? 1 : 0);
