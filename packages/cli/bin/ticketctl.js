#!/usr/bin/env node
// The `ticketctl` command. It is plain JavaScript that exists before anything is compiled, so `npm ci` on a fresh
// clone links it into node_modules/.bin (npm skips a bin whose file is missing, and `npx ticketctl` then asks the
// registry for a package of that name). Written for old Node versions too: it only checks and hands over.
import { spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const self = realpathSync(fileURLToPath(import.meta.url));
const pkg = dirname(dirname(self));
const [major, minor] = process.versions.node.split(".").map(Number);

if (major < 22 || (major === 22 && minor < 12)) {
  // In a clone of the repository `make setup` installs Node 24 into .tools/node, but the shell that runs
  // `npx ticketctl` usually still finds the machine's older node first. Installed from npm, there is no such dir.
  const repoNode = join(pkg, "..", "..", ".tools", "node", "bin", "node");
  if (!existsSync(repoNode)) {
    console.error(`ticketctl needs Node.js 22.12 or newer; this is ${process.version}`);
    process.exit(1);
  }
  const child = spawn(repoNode, [self, ...process.argv.slice(2)], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
} else {
  const entry = join(pkg, "dist", "main.js");
  if (!existsSync(entry)) {
    console.error(`ticketctl is not compiled yet: run \`make build\` (or \`make start\`) in ${join(pkg, "..", "..")}`);
    process.exit(1);
  }
  const { main } = await import(pathToFileURL(entry).href);
  await main();
}
