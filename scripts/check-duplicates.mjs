#!/usr/bin/env node
// Counts the blocks of six or more lines that stand twice in packages/ (jscpd, settings in .jscpd.json: generated
// code and migrations left out, since neither is edited by hand) and fails when there are more than --max.
// `make lint-dup` runs it.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dirname, "..");
const { values } = parseArgs({ options: { max: { type: "string", default: "2" } } });
const max = Number(values.max);
if (!Number.isInteger(max) || max < 0) {
  console.error(`check-duplicates: --max takes a whole number, not "${values.max}"`);
  process.exit(2);
}

const report = join(root, ".run", "jscpd", "jscpd-report.json");
rmSync(report, { force: true });
const jscpd = spawnSync(join(root, "node_modules", ".bin", "jscpd"), ["packages"], { cwd: root, stdio: "inherit" });
if (jscpd.status !== 0) {
  console.error(`check-duplicates: jscpd failed (exit ${jscpd.status ?? jscpd.signal})`);
  process.exit(1);
}
const { duplicates } = JSON.parse(readFileSync(report, "utf8"));
const place = (f) => `${f.name}:${f.start}-${f.end}`;
for (const d of duplicates) console.log(`${place(d.firstFile)} ~ ${place(d.secondFile)} (${d.lines} lines)`);
const found = duplicates.length;
if (found > max) {
  console.error(`check-duplicates: ${found} duplicated blocks, at most ${max} allowed: make one piece of code serve both places`);
  process.exit(1);
}
console.log(`check-duplicates: ${found} duplicated blocks (at most ${max} allowed)`);
