import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { completionScript } from "./commands/completion.js";
import { toMinor } from "./commands/event/create.js";
import { run } from "./main.js";
import { buildProgram } from "./program.js";
import { qrText } from "./qr.js";
import { capture, depsFor, fakeDeployment } from "./testing/fake.js";
import { mintToken } from "./tokens.js";

// Commands run against an in-memory fake deployment: no server, no TTY. Each test gets its own config dir.

let home: string;
let fake: ReturnType<typeof fakeDeployment>;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "ticketctl-"));
  fake = fakeDeployment();
});

async function ticketctl(args: string[], env: Record<string, string> = {}, tty = false) {
  const io = capture(tty);
  const code = await run(["node", "ticketctl", ...args], depsFor(io, { XDG_CONFIG_HOME: home, ...env }, fake.client));
  return { code, out: io.out(), err: io.err() };
}
const server = { TICKETCTL_SERVER: "http://fake.invalid", TICKETCTL_TOKEN: "admin-token" };

describe("output", () => {
  it("event create from flags sends exact minor units and prints a table; --json prints proto JSON", async () => {
    const created = await ticketctl(
      ["event", "create", "--name", "Gala", "--starts", "2027-05-01T19:00:00Z", "--ends", "2027-05-01T23:00:00Z", "-t", "Standing:45.50:100", "-t", "VIP:120:5"],
      server,
    );
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/Standing\s+45\.50 EUR\s+100/);
    const request = fake.calls.find((c) => c.method === "CreateEvent")?.request as { ticketTypes: { price: { amountMinor: bigint } }[] };
    expect(request.ticketTypes.map((t) => t.price.amountMinor)).toEqual([4550n, 12000n]);
    expect(fake.calls[0]?.authorization).toBe("Bearer admin-token");

    const listed = await ticketctl(["--json", "event", "list"], server);
    const json = JSON.parse(listed.out);
    expect(json[0]).toMatchObject({ name: "Gala", ticketTypes: [{ name: "Standing", price: { amountMinor: "4550", currency: "EUR" } }, expect.anything()] });
    expect(listed.out).not.toContain("\u001b[");
    expect(listed.err).toBe("");
  });

  it("event create reads a YAML file", async () => {
    const file = join(home, "event.yaml");
    await writeFile(
      file,
      "name: From File\nstartsAt: 2027-05-01T19:00:00Z\nendsAt: 2027-05-01T23:00:00Z\nvenue: { name: Arena, location: Berlin }\n" +
        "ticketTypes:\n  - { name: GA, price: \"19.99\", currency: EUR, capacity: 50 }\n  - { name: Yen, price: 5000, currency: JPY, capacity: 5 }\n",
    );
    const res = await ticketctl(["event", "create", "-f", file], server);
    expect(res.code).toBe(0);
    const request = fake.calls.find((c) => c.method === "CreateEvent")?.request as { venue: { name: string }; ticketTypes: { price: { amountMinor: bigint; currency: string } }[] };
    expect(request.venue.name).toBe("Arena");
    expect(request.ticketTypes.map((t) => [t.price.amountMinor, t.price.currency])).toEqual([[1999n, "EUR"], [5000n, "JPY"]]);
  });

  it("converts prices without floats and refuses too many decimals", () => {
    expect(toMinor("0.10", "EUR")).toBe(10n);
    expect(toMinor("1234567890123.45", "EUR")).toBe(123456789012345n);
    expect(toMinor(7, "JPY")).toBe(7n);
    expect(() => toMinor("1.005", "EUR")).toThrow(/at most 2 decimals/);
    expect(() => toMinor("1.5", "JPY")).toThrow(/at most 0 decimals/);
  });

  it("stock get shows the availability breakdown", async () => {
    const res = await ticketctl(["stock", "get", "tt-1"], server);
    expect(res.out).toMatch(/TOTAL\s+HELD\s+SOLD\s+AVAILABLE/);
    expect(res.out).toMatch(/100\s+3\s+7\s+90/);
    const json = JSON.parse((await ticketctl(["--json", "stock", "get", "tt-1"], server)).out);
    expect(json).toMatchObject({ ticketId: "tt-1", total: 100, available: 90 });
  });

  it("order watch without a TTY prints one line per change; with --json one object per line", async () => {
    const lines = await ticketctl(["order", "watch", "00000000-0000-4000-8000-000000000001"], server);
    expect(lines.out.trim().split("\n").map((l) => l.split(/\s+/)[1])).toEqual(["PENDING_PAYMENT", "PAID"]);
    const json = await ticketctl(["--json", "order", "watch", "00000000-0000-4000-8000-000000000001"], server);
    expect(json.out.trim().split("\n").map((l) => JSON.parse(l).status)).toEqual(["ORDER_STATUS_PENDING_PAYMENT", "ORDER_STATUS_PAID"]);
  });
});

describe("errors and exit codes", () => {
  it("prints the gRPC code, the message and a hint on stderr; nothing on stdout", async () => {
    const notFound = await ticketctl(["event", "get", "nope"], server);
    expect(notFound.code).toBe(1);
    expect(notFound.out).toBe("");
    expect(notFound.err).toMatch(/^error: NOT_FOUND: event nope not found\nhint: /);

    const precondition = await ticketctl(["order", "pay", "o1", "--reference", "r"], server);
    expect(precondition.code).toBe(1);
    expect(precondition.err).toContain("FAILED_PRECONDITION: order is expired");
  });

  it("exits 4 on authentication and permission errors, with a hint to set a token", async () => {
    const anonymous = await ticketctl(["event", "create", "--name", "x", "--starts", "2027-01-01T00:00:00Z", "--ends", "2027-01-02T00:00:00Z", "-t", "a:1:1"], {
      TICKETCTL_SERVER: "http://fake.invalid",
    });
    expect(anonymous.code).toBe(4);
    expect(anonymous.err).toMatch(/UNAUTHENTICATED[\s\S]*hint: set a token/);
    const denied = await ticketctl(["stock", "create", "a", "b", "5"], server);
    expect(denied.code).toBe(4);
    expect(denied.err).toContain("PERMISSION_DENIED");
  });

  it("exits 2 on usage errors, and 0 for --help with examples", async () => {
    expect((await ticketctl(["event", "frobnicate"], server)).code).toBe(2);
    expect((await ticketctl(["order", "pay", "o1"], server)).code).toBe(2); // --reference missing
    expect((await ticketctl(["event", "list", "--limit", "0"], server)).code).toBe(2);
    const badStatus = await ticketctl(["order", "list", "--status", "shipped"], server);
    expect(badStatus.code).toBe(2);
    expect(badStatus.err).toContain("--status must be one of PLACING, PENDING_PAYMENT, PAID, CANCELLED, EXPIRED, FAILED");
    expect((await ticketctl(["booking", "list", "--status", "unspecified"], server)).err).toContain("HELD, CONFIRMED, RELEASED, EXPIRED");
    expect((await ticketctl(["cart", "add", "tt-1", "two"], server)).err).toContain("QUANTITY must be a whole number");
    expect(fake.calls).toEqual([]);
    const noServer = await ticketctl(["event", "list"]);
    expect(noServer.code).toBe(2);
    expect(noServer.err).toMatch(/no server[\s\S]*hint: start one with `make start`/);
    const help = await ticketctl(["order", "pay", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("$ ticketctl order pay");
  });

  it("gives every command --help examples", () => {
    const io = capture();
    const program = buildProgram(depsFor(io, {}, fake.client));
    const leaves = program.commands.flatMap((noun) => (noun.commands.length > 0 ? noun.commands.filter((c) => c.name() !== "help") : [noun]));
    expect(leaves.length).toBeGreaterThan(25);
    for (const command of leaves) {
      let help = "";
      command.configureOutput({ writeOut: (s) => (help += s) });
      command.outputHelp();
      expect(help, command.name()).toContain("$ ticketctl");
    }
  });
});

describe("help", () => {
  it("cart add and cart update state the quantities they take", async () => {
    expect((await ticketctl(["cart", "add", "--help"])).out).toMatch(/quantity\s+how many to add: 1 to 100/);
    expect((await ticketctl(["cart", "update", "--help"])).out).toMatch(/quantity\s+the new quantity: 0 \(removes it\) to 100/);
  });
});

describe("contexts", () => {
  it("add, use, list and remove contexts in the XDG config dir; flags and env override them", async () => {
    expect((await ticketctl(["context", "add", "local", "--server", "http://127.0.0.1:50600", "--token", "ctx-token"])).code).toBe(0);
    expect((await ticketctl(["context", "add", "staging", "--server", "https://staging.invalid", "--protocol", "connect"])).code).toBe(0);
    const customer = await mintToken("s".repeat(40), "alice", "customer");
    await ticketctl(["context", "add", "embedded-50600-customer", "--server", "http://127.0.0.1:50600", "--token", customer]);
    const lines = (await ticketctl(["context", "list"])).out.trimEnd().split("\n");
    expect(lines).toEqual([
      "  NAME                     SERVER                   PROTOCOL  TOKEN",
      "* local                    http://127.0.0.1:50600   grpc      set",
      "  staging                  https://staging.invalid  connect   (none)",
      "  embedded-50600-customer  http://127.0.0.1:50600   grpc      customer alice",
    ]);
    await ticketctl(["context", "use", "staging"]);
    expect(JSON.parse(await readFile(join(home, "ticketctl", "config.json"), "utf8")).current).toBe("staging");

    await ticketctl(["--context", "local", "event", "list"]);
    expect(fake.calls.at(-1)?.authorization).toBe("Bearer ctx-token");
    await ticketctl(["--context", "local", "--token", "flag-token", "event", "list"]);
    expect(fake.calls.at(-1)?.authorization).toBe("Bearer flag-token");
    await ticketctl(["--context", "local", "event", "list"], { TICKETCTL_TOKEN: "env-token" });
    expect(fake.calls.at(-1)?.authorization).toBe("Bearer env-token");

    expect((await ticketctl(["context", "use", "missing"])).code).toBe(2);
    expect((await ticketctl(["context", "remove", "staging"])).code).toBe(0);
    expect((await ticketctl(["--json", "context", "list"])).out).not.toContain("staging");
  });
});

describe("completion", () => {
  it("prints bash, zsh and fish scripts listing every noun and verb", () => {
    const program = buildProgram(depsFor(capture(), {}, fake.client));
    for (const shell of ["bash", "zsh", "fish"]) {
      const script = completionScript(shell, program);
      for (const word of ["event", "order", "watch", "onsale", "shop", "e2e", "context"]) expect(script, `${shell} ${word}`).toContain(word);
    }
    expect(() => completionScript("powershell", program)).toThrow(/bash, zsh or fish/);
  });
});

describe("tickets and check-in", () => {
  const EVENT = "00000000-0000-4000-8000-0000000000e1";
  const admin = () => fake.client({ server: "x", token: "admin-token", customerToken: undefined, jwtSecret: undefined, protocol: "grpc", contextName: undefined });

  it("ticket list shows the buyer's tickets; ticket show --qr prints the code and draws it", async () => {
    const [first] = fake.tickets.list;
    const listed = await ticketctl(["ticket", "list"], server);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${first!.id}\\s+Standing\\s+1\\s+VALID`));
    const shown = await ticketctl(["ticket", "show", first!.id, "--qr"], server);
    expect(shown.code).toBe(0);
    const code = fake.tickets.codeOf(first!);
    expect(shown.out).toContain(`code ${code}`);
    expect(shown.out).toContain(qrText(code));
    expect((await ticketctl(["ticket", "show", "00000000-0000-4000-8000-00000000dead"], server)).code).toBe(1);
  });

  it("checkin admits a code once; the second scan exits 1 and says when and at which gate", async () => {
    const code = fake.tickets.codeOf(fake.tickets.list[0]!);
    const first = await ticketctl(["checkin", code, "--gate", "north", "--event", EVENT], server);
    expect(first).toMatchObject({ code: 0, out: "ADMITTED: admitted\n" });
    expect(fake.calls.find((c) => c.method === "CheckIn")?.request).toMatchObject({ code, gate: "north", eventId: EVENT });
    const again = await ticketctl(["checkin", code, "--gate", "south"], server);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/^ALREADY_CHECKED_IN: already checked in at \d{4}-\d\d-\d\dT[\d:.]+Z at north\n$/);
    expect(again.err).toBe("");
    const json = await ticketctl(["--json", "checkin", "not-a-code", "--gate", "south"], server);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ result: "CHECK_IN_RESULT_MALFORMED" });
    expect((await ticketctl(["checkin", "--gate", "south"], server)).code).toBe(2);
  });

  it("checkin --offline verifies with the synced keys file only, queues the scans, and upload resolves them", async () => {
    const [first, second] = fake.tickets.list;
    const state = join(home, "gate.json");
    const offline = (code: string, extra: string[] = []) => ticketctl(["checkin", code, "--gate", "north", "--offline", "--state", state, ...extra]);

    const unsynced = await offline(fake.tickets.codeOf(first!));
    expect(unsynced.code).toBe(1);
    expect(unsynced.err).toContain("no keys synced");

    const synced = await ticketctl(["checkin", "sync", "--event", EVENT, "--state", state], server);
    expect(synced).toMatchObject({ code: 0, out: `1 keys, 0 revoked tickets (version 0) in ${state}\n` });
    expect(JSON.parse(await readFile(state, "utf8"))).toMatchObject({ eventId: EVENT, keys: [{ keyId: "fa4e0001" }], pending: [] });

    // From here on no server is named: the scans below reach nothing but the keys file.
    const callsBefore = fake.calls.length;
    expect(await offline(fake.tickets.codeOf(first!))).toMatchObject({ code: 0, out: "ADMITTED (offline; 1 scans to upload)\n" });
    expect(await offline(fake.tickets.codeOf(first!))).toMatchObject({ code: 1, out: "ALREADY_CHECKED_IN (offline; 1 scans to upload)\n" });
    const tampered = Buffer.from(fake.tickets.codeOf(first!), "base64url");
    tampered[10] = (tampered[10] as number) ^ 0x01;
    expect(await offline(tampered.toString("base64url"))).toMatchObject({ code: 1, out: "BAD_SIGNATURE (offline; 1 scans to upload)\n" });
    expect(await offline(fake.tickets.codeOf(first!), ["--event", "00000000-0000-4000-8000-00000000beef"])).toMatchObject({ code: 1, out: expect.stringMatching(/^WRONG_EVENT/) });
    expect(fake.calls.length).toBe(callsBefore);

    // Revoked at the box office: the gate does not know until it syncs, then it refuses.
    await admin().admission.revokeTicket({ ticketId: second!.id, reason: "refunded" });
    expect(await offline(fake.tickets.codeOf(second!))).toMatchObject({ code: 0, out: "ADMITTED (offline; 2 scans to upload)\n" });
    expect((await ticketctl(["checkin", "sync", "--state", state], server)).out).toBe(`1 keys, 1 revoked tickets (version 1) in ${state}\n`);
    expect(await offline(fake.tickets.codeOf(second!))).toMatchObject({ code: 1, out: "REVOKED (offline; 2 scans to upload)\n" });

    // Back online: the queued scans are uploaded; the server's answer is the last word (the revoked one is refused).
    const uploaded = await ticketctl(["--json", "checkin", "upload", "--state", state], server);
    expect(uploaded.code).toBe(0);
    expect(JSON.parse(uploaded.out).map((r: { result: string }) => r.result)).toEqual(["CHECK_IN_RESULT_ADMITTED", "CHECK_IN_RESULT_REVOKED"]);
    const sent = fake.calls.find((c) => c.method === "UploadOfflineScans")?.request as { scans: { code: string; gate: string }[] };
    expect(sent.scans.map((s) => [s.code, s.gate])).toEqual([[fake.tickets.codeOf(first!), "north"], [fake.tickets.codeOf(second!), "north"]]);
    expect(JSON.parse(await readFile(state, "utf8")).pending).toEqual([]);
    expect((await ticketctl(["checkin", "upload", "--state", state], server)).out).toBe("nothing to upload\n");
  });
});
