import { afterEach, describe, expect, it, vi } from "vitest";
import { admission, checkout } from "@ticketing/sdk";
import { accessRules, TokenAuthority } from "./auth.js";
import { DomainError } from "./errors.js";

const SECRET = "s".repeat(40);
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof DomainError ? `${e.kind}: ${e.message}` : e));

// A cached verification answers with the very object it stored; a fresh one builds a new caller. Identity is how
// these tests tell the two apart.
describe("TokenAuthority.verify cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers a token it verified from the cache, for at most ttlMs", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const authority = new TokenAuthority(SECRET, { ttlMs: 60_000 });
    const token = await authority.mint({ sub: "alice", role: "customer" }, 3600);
    const first = await authority.verify(token);
    expect(first).toEqual({ sub: "alice", role: "customer" });
    expect(await authority.verify(token)).toBe(first);
    vi.setSystemTime(Date.now() + 59_000);
    expect(await authority.verify(token)).toBe(first);
    vi.setSystemTime(Date.now() + 2_000);
    const again = await authority.verify(token);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it("never trusts a token past its expiry, however recently it was verified", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const authority = new TokenAuthority(SECRET);
    const token = await authority.mint({ sub: "bob", role: "customer" }, 5);
    await authority.verify(token);
    vi.setSystemTime(Date.now() + 6_000);
    expect(await refusal(authority.verify(token))).toMatch(/^Unauthenticated: token expired at /);
  });

  it("keeps at most maxEntries, evicting the oldest", async () => {
    const authority = new TokenAuthority(SECRET, { maxEntries: 2 });
    const [a, b, c] = await Promise.all(["a", "b", "c"].map((sub) => authority.mint({ sub, role: "customer" })));
    const callerA = await authority.verify(a as string);
    const callerB = await authority.verify(b as string);
    const callerC = await authority.verify(c as string);
    expect(await authority.verify(c as string)).toBe(callerC);
    expect(await authority.verify(b as string)).toBe(callerB);
    // a was the oldest when c came in: it is verified again, which evicts b in turn.
    expect(await authority.verify(a as string)).not.toBe(callerA);
    expect(await authority.verify(b as string)).not.toBe(callerB);
  });

  it("still refuses a token signed with another secret, and remembers no refusal", async () => {
    const authority = new TokenAuthority(SECRET);
    const own = await authority.mint({ sub: "admin", role: "admin" });
    await authority.verify(own);
    const foreign = await new TokenAuthority("x".repeat(40)).mint({ sub: "admin", role: "admin" });
    expect(await refusal(authority.verify(foreign))).toMatch(/^Unauthenticated: invalid token: bad signature/);
    expect(await refusal(authority.verify(foreign))).toMatch(/^Unauthenticated: invalid token: bad signature/);
    // The same claims with a forged signature: the cache is keyed by the whole token, signature included.
    const [header, payload] = own.split(".");
    expect(await refusal(authority.verify(`${header}.${payload}.${"A".repeat(43)}`))).toMatch(/^Unauthenticated: invalid token: bad signature/);
  });

  it("hands out callers no one can change", async () => {
    const authority = new TokenAuthority(SECRET);
    const caller = await authority.verify(await authority.mint({ sub: "carol", role: "customer" }));
    expect(() => {
      (caller as { role: string }).role = "admin";
    }).toThrow(TypeError);
  });
});

describe("accessRules", () => {
  const rules = accessRules([
    { service: admission.AdmissionService, roles: { CheckIn: ["gate", "admin"], RevokeTicket: ["admin"] } },
    { service: checkout.CheckoutService, roles: { MarkOrderAsPaid: ["admin", "service"] } },
  ]);

  it("limits the RPCs a service names to their roles and leaves the others open", () => {
    expect(rules.rolesOf("ticketing.admission.v1.AdmissionService/RevokeTicket")).toEqual(["admin"]);
    expect(rules.rolesOf("ticketing.checkout.v1.CheckoutService/MarkOrderAsPaid")).toEqual(["admin", "service"]);
    expect(rules.rolesOf("ticketing.checkout.v1.CheckoutService/PlaceOrder")).toBeUndefined();
  });

  it("confines the gate role to the RPCs that name it, whatever the others leave open", () => {
    expect([...(rules.confinedTo("gate") ?? [])]).toEqual(["ticketing.admission.v1.AdmissionService/CheckIn"]);
    expect(rules.confinedTo("customer")).toBeUndefined();
  });

  it("refuses at start a role given to a method the service does not have", () => {
    expect(() => accessRules([{ service: checkout.CheckoutService, roles: { MarkOrderPaid: ["admin"] } }])).toThrow(/has no method MarkOrderPaid/);
  });
});
