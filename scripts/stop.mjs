#!/usr/bin/env node
// `make stop`: stops the server `make start` runs (SIGTERM: it drains calls and stops its jobs first).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const pidFile = join(import.meta.dirname, "..", ".run", "server.pid");
let pid;
try {
  pid = Number(readFileSync(pidFile, "utf8").trim());
} catch {
  console.log("nothing to stop: no server started by `make start` is running");
  process.exit(0);
}
try {
  process.kill(pid, "SIGTERM");
} catch {
  rmSync(pidFile, { force: true });
  console.log(`nothing to stop: process ${pid} is gone`);
  process.exit(0);
}
for (let i = 0; i < 100; i++) {
  await new Promise((r) => setTimeout(r, 100));
  try {
    process.kill(pid, 0);
  } catch {
    console.log(`stopped ${pid}`);
    process.exit(0);
  }
}
console.error(`process ${pid} did not stop within 10 s`);
process.exit(1);
