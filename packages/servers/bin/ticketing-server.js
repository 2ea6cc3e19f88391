#!/usr/bin/env node
// The `ticketing-server` command. Plain JavaScript that exists before anything is compiled, so `npm ci` on a fresh
// clone links it into node_modules/.bin (npm skips a bin whose file is missing, and `npx ticketing-server` then asks
// the registry). Written for old Node versions too: it only checks and hands over.
import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const self = realpathSync(fileURLToPath(import.meta.url));
const pkg = dirname(dirname(self));
const repo = join(pkg, "..", "..");
const [major, minor] = process.versions.node.split(".").map(Number);

if (major < 22 || (major === 22 && minor < 12)) {
  // `make setup` installs Node 24 into .tools/node, but the shell that runs `npx ticketing-server` usually still
  // finds the machine's older node first.
  const repoNode = join(repo, ".tools", "node", "bin", "node");
  if (!existsSync(repoNode)) {
    console.error(`ticketing-server needs Node.js 22.12 or newer; this is ${process.version} (\`make setup\` installs one)`);
    process.exit(1);
  }
  const child = spawn(repoNode, [self, ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
} else {
  const entry = join(pkg, "dist", "main.js");
  if (!existsSync(entry)) {
    console.error(`ticketing-server is not compiled yet: run \`make build\` (or \`make start\`) in ${repo}`);
    process.exit(1);
  }
  await import(pathToFileURL(entry).href);
}
