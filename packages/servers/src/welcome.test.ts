import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { banner, contextName, removeEnvFile, writeCliContexts, writeEnvFile, type Welcome } from "./welcome.js";

const at = (port: number): Welcome => ({
  url: `http://127.0.0.1:${port}`,
  adminToken: `admin-${port}`,
  customerToken: `alice-${port}`,
  customer: "alice",
  jwtSecret: `secret-${port}`.padEnd(32, "x"),
});

describe("what an embedded platform hands its user", () => {
  it("names a context after the address", () => {
    expect(contextName("http://127.0.0.1:50600")).toBe("embedded-50600");
    expect(contextName("http://localhost:50601")).toBe("embedded-50601");
    expect(contextName("http://10.0.0.7:50600")).toBe("embedded-10.0.0.7-50600");
  });

  it("writes an admin and a customer context per address, keeps the others, and uses the newest", async () => {
    const home = await mkdtemp(join(tmpdir(), "welcome-"));
    const file = join(home, "ticketctl", "config.json");
    await writeCliContexts(at(50600), { XDG_CONFIG_HOME: home });
    const second = await writeCliContexts(at(50601), { XDG_CONFIG_HOME: home });
    expect(second).toEqual({ file, admin: "embedded-50601", customer: "embedded-50601-customer" });
    const config = JSON.parse(await readFile(file, "utf8"));
    expect(config.current).toBe("embedded-50601");
    expect(Object.keys(config.contexts).sort()).toEqual(["embedded-50600", "embedded-50600-customer", "embedded-50601", "embedded-50601-customer"]);
    expect(config.contexts["embedded-50600"]).toMatchObject({ server: "http://127.0.0.1:50600", token: "admin-50600", customerToken: "alice-50600" });
    expect(config.contexts["embedded-50600-customer"]).toEqual({ server: "http://127.0.0.1:50600", token: "alice-50600", protocol: "grpc" });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("writes an env file a shell can source, and removes it only while it is its own", async () => {
    const dir = await mkdtemp(join(tmpdir(), "welcome-env-"));
    const file = join(dir, ".run", "env");
    await writeEnvFile(file, at(50600));
    const sourced = execFileSync("bash", ["-c", `source ${file} && echo "$TICKETING_URL $ADMIN_TOKEN $CUSTOMER_TOKEN"`]).toString();
    expect(sourced).toBe("http://127.0.0.1:50600 admin-50600 alice-50600\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await removeEnvFile(file, "http://127.0.0.1:50999");
    expect(await readFile(file, "utf8")).toContain("50600");
    await removeEnvFile(file, "http://127.0.0.1:50600");
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    await writeFile(file, "unrelated\n");
    await removeEnvFile(file, "http://127.0.0.1:50600");
    expect(await readFile(file, "utf8")).toBe("unrelated\n");
  });

  it("the banner leads with the address and ends with lines to paste and the way to stop", () => {
    const text = banner(at(50600), {
      storage: "embedded PostgreSQL in memory, in-process bus",
      contexts: { file: "/home/u/.config/ticketctl/config.json", admin: "embedded-50600", customer: "embedded-50600-customer" },
      envFile: ".run/env",
      stop: "Ctrl-C, or `make stop` from another terminal",
      color: false,
    });
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    expect(lines[0]).toMatch(/^ticketing platform ready at http:\/\/127\.0\.0\.1:50600 /);
    expect(text).toContain('contexts "embedded-50600" (admin, in use) and "embedded-50600-customer" (alice)');
    expect(text).toContain("source .run/env");
    expect(text).toContain("    export TICKETING_URL=http://127.0.0.1:50600\n    export ADMIN_TOKEN=admin-50600\n    export CUSTOMER_TOKEN=alice-50600\n");
    expect(text).toContain('-H "authorization: Bearer $ADMIN_TOKEN"');
    expect(lines.at(-1)).toBe("  stop        Ctrl-C, or `make stop` from another terminal");
    expect(text).not.toContain("\u001b[");
    expect(text).not.toContain("secret-50600");
  });
});
