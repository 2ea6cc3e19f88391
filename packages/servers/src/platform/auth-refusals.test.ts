import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { TokenAuthority } from "./auth.js";
import { DomainError } from "./errors.js";

const SECRET = "s".repeat(40);
const key = new TextEncoder().encode(SECRET);
const authority = new TokenAuthority(SECRET, { maxEntries: 0 });
const now = () => Math.floor(Date.now() / 1000);

async function reason(token: string): Promise<string> {
  try {
    await authority.verify(token);
    return "accepted";
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    expect(err.kind).toBe("Unauthenticated");
    return err.message;
  }
}

/** A token with exactly these claims, signed with `secret`. */
const signed = (claims: Record<string, unknown>, secret = key) => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(secret);

// Every refusal says which part of the token is wrong; none repeats the secret.
describe("TokenAuthority.verify says why it refuses a token", () => {
  it("accepts the documented minimum: iss, sub, role (exp optional)", async () => {
    expect(await reason(await signed({ iss: "ticketing", sub: "alice", role: "customer" }))).toBe("accepted");
  });

  it.each([
    ["another secret", () => signed({ iss: "ticketing", sub: "a", role: "admin" }, new TextEncoder().encode("x".repeat(40))), /^invalid token: bad signature/],
    ["expired", () => signed({ iss: "ticketing", sub: "a", role: "admin", exp: now() - 60 }), /^token expired at \d{4}-\d\d-\d\dT/],
    ["no issuer", () => signed({ sub: "a", role: "admin" }), /^invalid token: no "iss" claim \(it must be "ticketing"\)$/],
    ["another issuer", () => signed({ iss: "auth0", sub: "a", role: "admin" }), /^invalid token: wrong issuer "auth0" \(it must be "ticketing"\)$/],
    ["not yet valid", () => signed({ iss: "ticketing", sub: "a", role: "admin", nbf: now() + 3600 }), /^invalid token: not valid yet/],
    ["a malformed exp", () => signed({ iss: "ticketing", sub: "a", role: "admin", exp: "tomorrow" }), /^invalid token: the "exp" claim is malformed$/],
    ["no subject", () => signed({ iss: "ticketing", role: "admin" }), /^token lacks a subject or a known role$/],
    ["an unknown role", () => signed({ iss: "ticketing", sub: "a", role: "root" }), /^token lacks a subject or a known role$/],
    ["not a JWT", async () => "hello", /^invalid token: malformed/],
    ["a JWT of another algorithm", async () => new SignJWT({ iss: "ticketing", sub: "a", role: "admin" }).setProtectedHeader({ alg: "HS512" }).sign(new Uint8Array(64)), /^invalid token: wrong algorithm/],
  ])("%s", async (_, token, expected) => {
    const message = await reason(await token());
    expect(message).toMatch(expected);
    expect(message).not.toContain(SECRET);
  });
});
