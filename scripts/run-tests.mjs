#!/usr/bin/env node
// Runs vitest and prints the plain summary line CI reads ("N passed, N failed, N skipped"); exits non-zero on any
// failed test, on a vitest error, and when no test ran at all. Extra arguments go to vitest.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const report = join(root, ".run", "vitest-report.json");
mkdirSync(join(root, ".run"), { recursive: true });
rmSync(report, { force: true });

const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const args = [vitest, "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)];
const run = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });

let passed = 0;
let failed = 0;
let skipped = 0;
let readable = true;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  failed = result.numFailedTests;
  skipped = result.numPendingTests + result.numTodoTests;
  // A file that fails outside its tests (load error, failing beforeAll/afterAll hook) fails the run too: it counts
  // as one failure when none of its tests did.
  failed += result.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed"),
  ).length;
  for (const f of result.testResults.filter((f) => f.status === "failed" && f.message)) {
    console.error(`run-tests: ${f.name}: ${f.message}`);
  }
} catch {
  readable = false;
}
if (!readable) {
  console.error("run-tests: vitest wrote no report");
  failed += 1;
}
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
const ok = run.status === 0 && failed === 0 && passed > 0;
if (passed === 0) console.error("run-tests: no test ran");
process.exit(ok ? 0 : 1);
