#!/usr/bin/env node
// `make start`: builds the packages and runs every service in one process, in the foreground.
// Without TICKETING_DATABASE_URL / DATABASE_URL it runs on embedded PostgreSQL with the in-process bus and needs no
// infrastructure; with a database URL it applies pending migrations first, then serves. Ctrl-C (or `make stop`
// from another terminal) stops it gracefully. The server writes .run/env (address and tokens, for `source`);
// .run/server.pid is what `make stop` signals.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const run = join(root, ".run");
const pidFile = join(run, "server.pid");
const envFile = join(run, "env");

function fail(line) {
  console.error(`make start: ${line}`);
  process.exit(1);
}

/** The pid in .run/server.pid when that process is still a ticketing server, else undefined. */
function runningPid() {
  let pid;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  try {
    // A pid is reused after a crash: only a process running the server's main.js counts.
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("main.js")) return undefined;
  } catch {
    // no /proc (macOS): trust the signal probe
  }
  return pid;
}

function portFree(host, port) {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err) => (err.code === "EADDRINUSE" ? resolve(false) : reject(err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

// Checked before building and migrating anything, and before touching the pid file, which belongs to the server
// that already runs: a second start used to overwrite it, fail, and delete it, so `make stop` found nothing.
const host = process.env.TICKETING_HOST || "127.0.0.1";
const port = Number(process.env.TICKETING_PORT || 50600);
if (Number.isInteger(port) && port > 0 && !(await portFree(host, port))) {
  fail(`port ${port} is in use — is the platform already running? \`make stop\` stops it`);
}
const already = runningPid();
if (already) fail(`the platform is already running (pid ${already}, in .run/server.pid) — \`make stop\` stops it`);

const build = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b"], {
  cwd: root,
  stdio: "inherit",
});
if (build.status !== 0) process.exit(build.status ?? 1);

const args = [join(root, "packages", "servers", "dist", "main.js"), "all", "--migrate", "--write-env", envFile, ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
mkdirSync(run, { recursive: true });
writeFileSync(pidFile, `${child.pid}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  let ours = false;
  try {
    ours = readFileSync(pidFile, "utf8").trim() === String(child.pid);
  } catch {
    // already removed
  }
  // The server removes its env file when it stops cleanly; after a crash it is stale, and goes with the pid file.
  if (ours) {
    rmSync(pidFile, { force: true });
    rmSync(envFile, { force: true });
  }
  process.exit(code ?? (signal ? 0 : 1));
});
