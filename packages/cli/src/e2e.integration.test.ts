import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

// The built binaries, end to end: `ticketing-server all` as `make start` runs it, and `ticketctl e2e` against it,
// once on the embedded platform and once on real PostgreSQL and Kafka.

const server = fileURLToPath(new URL("../../servers/dist/main.js", import.meta.url));
const ticketctl = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const p of started) p.kill("SIGTERM");
});

/** Starts the server and resolves with its address once it prints it. */
function startServer(env: Record<string, string>): Promise<{ url: string; output: () => string }> {
  const proc = spawn(process.execPath, [server, "all", "--migrate"], {
    env: { ...process.env, TICKETING_PORT: "0", TICKETING_LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(proc);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      // The banner comes once the server listens and, when embedded, has written its ticketctl contexts.
      const match = /ticketing platform ready at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1] as string, output: () => output });
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

function runTicketctl(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [ticketctl, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("ticketctl e2e with the built binaries", () => {
  it("passes against the embedded platform, using the context the server wrote", { timeout: 90_000 }, async () => {
    const home = await mkdtemp(join(tmpdir(), "ticketctl-e2e-"));
    await startServer({ XDG_CONFIG_HOME: home });
    const res = await runTicketctl(["--json", "e2e"], { XDG_CONFIG_HOME: home });
    const report = JSON.parse(res.out);
    const failed = report.steps.filter((s: { ok: boolean }) => !s.ok);
    expect(failed, JSON.stringify(failed)).toEqual([]);
    expect(res.code).toBe(0);
    expect(report.steps.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(["buy as a customer and pay", "a short-TTL hold expires", "a notification arrives for the paid order", "the paid order's ticket checks in once"]),
    );
    const version = await runTicketctl(["--version"], { XDG_CONFIG_HOME: home });
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("passes against real PostgreSQL and Kafka", { timeout: 90_000 }, async () => {
    const adminUrl = process.env["TICKETING_TEST_DATABASE_URL"] ?? "postgres://ticketing:ticketing@127.0.0.1:5432/ticketing";
    const name = `ticketing_cli_e2e_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const secret = randomBytes(32).toString("hex");
      const { url: address } = await startServer({
        TICKETING_DATABASE_URL: url.toString(),
        TICKETING_JWT_SECRET: secret,
        TICKETING_KAFKA_BROKERS: process.env["TICKETING_TEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092",
        TICKETING_KAFKA_NAMESPACE: `cli-e2e-${randomBytes(3).toString("hex")}.`,
      });
      const tokenRun = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, [server, "token", "--sub", "ops", "--role", "admin"], { env: { ...process.env, TICKETING_JWT_SECRET: secret } });
        let out = "";
        p.stdout.on("data", (d: Buffer) => (out += d.toString()));
        p.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`token exited ${code}`))));
      });
      const home = await mkdtemp(join(tmpdir(), "ticketctl-e2e-real-"));
      const res = await runTicketctl(["--json", "e2e"], {
        XDG_CONFIG_HOME: home,
        TICKETCTL_SERVER: address,
        TICKETCTL_TOKEN: tokenRun,
        TICKETCTL_JWT_SECRET: secret,
      });
      const report = JSON.parse(res.out);
      expect(report.steps.filter((s: { ok: boolean }) => !s.ok)).toEqual([]);
      expect(res.code).toBe(0);
      expect(report.steps.some((s: { name: string }) => s.name.includes("notification"))).toBe(true);
    } finally {
      for (const p of started.splice(0)) p.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 500));
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
