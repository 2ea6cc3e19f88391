import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_NAMES } from "./services.js";
import { createTestDatabase, type TestDatabase } from "./testing/harness.js";

// `ticketing-server migrate` as a migration job runs it (the Compose `migrate` service, the Helm pre-install hook):
// the database URL and nothing else in its environment, on the real PostgreSQL.

const run = promisify(execFile);
const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

describe("ticketing-server migrate", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const migrate = () =>
    run(process.execPath, [main, "migrate"], {
      env: { PATH: process.env["PATH"], TICKETING_DATABASE_URL: db.url, TICKETING_LOG_LEVEL: "warn" },
      timeout: 60_000,
    });

  it("migrates every schema with the database URL alone (no JWT secret), and is a no-op the second time", async () => {
    const first = await migrate();
    for (const service of SERVICE_NAMES) expect(first.stdout).toMatch(new RegExp(`^${service}: applied `, "m"));

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ nspname: string }>("select nspname from pg_namespace where nspname = any($1)", [SERVICE_NAMES]);
      expect(rows.map((r) => r.nspname).sort()).toEqual([...SERVICE_NAMES].sort());
    } finally {
      await c.end();
    }

    const second = await migrate();
    for (const service of SERVICE_NAMES) expect(second.stdout).toMatch(new RegExp(`^${service}: up to date`, "m"));
  }, 120_000);
});
