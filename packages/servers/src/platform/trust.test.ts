import { exportJWK, generateKeyPair, SignJWT } from "jose";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthority } from "./auth.js";
import { ConfigError, loadConfig } from "./config.js";
import { DomainError } from "./errors.js";

// Whose tokens the platform believes: its own HS256 ones with the configured iss/aud, and an OIDC provider's,
// checked against the keys its JWKS URL serves (a real HTTP server here).

const SECRET = "s".repeat(40);
const ISSUER = "https://id.example.test/";
const refusal = (p: Promise<unknown>) => p.then(() => "accepted", (e: unknown) => (e instanceof DomainError ? `${e.kind}: ${e.message}` : String(e)));

let jwks: http.Server;
let jwksUrl: string;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let strangerKeys: Awaited<ReturnType<typeof generateKeyPair>>;

beforeAll(async () => {
  keys = await generateKeyPair("ES256");
  strangerKeys = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  jwks = http.createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", () => resolve()));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

const idToken = (claims: Record<string, unknown>, opts: { iss?: string; aud?: string; key?: CryptoKey } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setSubject("user-42")
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? "ticketing-shop")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(opts.key ?? keys.privateKey);

describe("an OIDC provider's tokens", () => {
  const authority = () => new TokenAuthority(SECRET, { maxEntries: 0 }, { audience: "ticketing-shop", external: { jwksUrl, issuer: ISSUER } });

  it("are believed when signed with a key from its JWKS, for its issuer and our audience; no role claim means customer", async () => {
    expect(await authority().verify(await idToken({}))).toEqual({ sub: "user-42", role: "customer" });
    expect(await authority().verify(await idToken({ role: "admin" }))).toEqual({ sub: "user-42", role: "admin" });
  });

  it("are refused for another issuer, another audience or a key the JWKS does not list", async () => {
    expect(await refusal(authority().verify(await idToken({}, { iss: "https://evil.test/" })))).toMatch(/Unauthenticated: .*wrong issuer/);
    expect(await refusal(authority().verify(await idToken({}, { aud: "someone-else" })))).toMatch(/Unauthenticated: .*audience/);
    expect(await refusal(authority().verify(await idToken({}, { key: strangerKeys.privateKey })))).toMatch(/^Unauthenticated/);
  });

  it("do not replace the platform's own tokens, whose audience is checked too", async () => {
    const a = authority();
    expect(await a.verify(await a.mint({ sub: "svc", role: "service" }))).toEqual({ sub: "svc", role: "service" });
    const noAudience = await new TokenAuthority(SECRET).mint({ sub: "alice", role: "customer" });
    expect(await refusal(a.verify(noAudience))).toMatch(/Unauthenticated: .*audience/);
  });
});

describe("the platform's own issuer", () => {
  it("is configurable, and a token of another issuer name is refused", async () => {
    const ours = new TokenAuthority(SECRET, {}, { issuer: "box-office" });
    expect(await ours.verify(await ours.mint({ sub: "a", role: "customer" }))).toEqual({ sub: "a", role: "customer" });
    const theirs = await new TokenAuthority(SECRET).mint({ sub: "a", role: "customer" });
    expect(await refusal(ours.verify(theirs))).toMatch(/wrong issuer "ticketing" \(it must be "box-office"\)/);
  });
});

describe("identity settings", () => {
  it("turn the development sign-in on in embedded mode only, and refuse it with a database URL", () => {
    expect(loadConfig({}).devSignIn).toBe(true);
    expect(loadConfig({ TICKETING_DEV_SIGNIN: "false" }).devSignIn).toBe(false);
    const production = { DATABASE_URL: "postgres://u:p@db/x", TICKETING_JWT_SECRET: "s".repeat(32) };
    expect(loadConfig(production).devSignIn).toBe(false);
    expect(() => loadConfig({ ...production, TICKETING_DEV_SIGNIN: "true" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, TICKETING_DEV_SIGNIN: "true" })).toThrow(/TICKETING_DEV_SIGNIN: .*never with a database URL/);
  });

  it("need both halves of an OIDC provider, and CORS origins that are origins (never *)", () => {
    expect(() => loadConfig({ TICKETING_OIDC_ISSUER: ISSUER })).toThrow(/set both or neither/);
    expect(loadConfig({ TICKETING_OIDC_ISSUER: ISSUER, TICKETING_OIDC_JWKS_URL: "https://id.example.test/jwks" }).oidc).toEqual({
      issuer: ISSUER,
      jwksUrl: "https://id.example.test/jwks",
    });
    expect(loadConfig({ TICKETING_CORS_ORIGINS: "https://Shop.example.com, http://127.0.0.1:5173/" }).corsOrigins).toEqual([
      "https://shop.example.com",
      "http://127.0.0.1:5173",
    ]);
    for (const bad of ["*", "https://shop.example.com/path", "shop.example.com", "ftp://x.test", "https://*.example.com"]) {
      expect(() => loadConfig({ TICKETING_CORS_ORIGINS: bad }), bad).toThrow(/TICKETING_CORS_ORIGINS/);
    }
  });
});
