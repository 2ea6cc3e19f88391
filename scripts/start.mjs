#!/usr/bin/env node
// `make start`: builds the packages and runs every service in one process, in the foreground.
// Without TICKETING_DATABASE_URL / DATABASE_URL it runs on embedded PostgreSQL with the in-process bus and needs no
// infrastructure; with a database URL it applies pending migrations first, then serves. Ctrl-C (or `make stop`
// from another terminal) stops it gracefully.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const build = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b"], {
  cwd: root,
  stdio: "inherit",
});
if (build.status !== 0) process.exit(build.status ?? 1);

const args = [join(root, "packages", "servers", "dist", "main.js"), "all", "--migrate", ...process.argv.slice(2)];
const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
const pidFile = join(root, ".run", "server.pid");
mkdirSync(join(root, ".run"), { recursive: true });
writeFileSync(pidFile, `${child.pid}\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  rmSync(pidFile, { force: true });
  process.exit(code ?? (signal ? 0 : 1));
});
