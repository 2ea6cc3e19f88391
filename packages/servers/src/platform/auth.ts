import type { DescService } from "@bufbuild/protobuf";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import { DomainError } from "./errors.js";
import { isText } from "./text.js";

export type Role = "admin" | "customer" | "service" | "gate";
export const ROLES: readonly Role[] = ["admin", "customer", "service", "gate"];

/** Who is calling, from the verified bearer token and nothing else. */
export interface Caller {
  /** The token's subject: a user id for customers and admins, a service name for services. */
  sub: string;
  role: Role;
}

const DEFAULT_ISSUER = "ticketing";

/**
 * Whose tokens the platform believes. Its own (HS256 with the shared secret) always, with `issuer` and, when set,
 * `audience` checked; and an external OpenID Connect issuer's (signed with the keys at its JWKS URL) when
 * `external` is set.
 */
export interface TrustOptions {
  /** `iss` of the HS256 tokens; default "ticketing". */
  issuer?: string;
  /** `aud` every token must carry (HS256 and external alike), when set; minted tokens carry it. */
  audience?: string;
  /** An OIDC provider: its JWKS URL and `iss`. Its tokens without a known `role` claim are customers. */
  external?: { jwksUrl: string; issuer: string };
}

/** Asymmetric algorithms an external issuer may sign with. */
const EXTERNAL_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"];
/** A subject is stored as the owner of carts, orders and notifications. */
const MAX_SUBJECT_LENGTH = 200;

/** How long and how many successful verifications a TokenAuthority remembers. */
export interface VerifyCacheOptions {
  /** Upper bound of one entry's life, in milliseconds (never past the token's own expiry). Default 60000. */
  ttlMs?: number;
  /** Entries kept; the oldest goes first. Default 10000. */
  maxEntries?: number;
}

/** Signs and verifies the platform's HS256 JWTs. */
export class TokenAuthority {
  readonly #key: Uint8Array;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  // A Map iterates in insertion order, so its first key is always the oldest entry.
  readonly #verified = new Map<string, { caller: Caller; until: number }>();

  readonly #issuer: string;
  readonly #audience: string | undefined;
  readonly #external: { keys: ReturnType<typeof createRemoteJWKSet>; issuer: string } | undefined;

  constructor(secret: string, cache: VerifyCacheOptions = {}, trust: TrustOptions = {}) {
    this.#key = new TextEncoder().encode(secret);
    this.#issuer = trust.issuer ?? DEFAULT_ISSUER;
    this.#audience = trust.audience;
    this.#external = trust.external && {
      keys: createRemoteJWKSet(new URL(trust.external.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }),
      issuer: trust.external.issuer,
    };
    this.#ttlMs = cache.ttlMs ?? 60_000;
    this.#maxEntries = cache.maxEntries ?? 10_000;
  }

  async mint(caller: Caller, ttlSeconds = 24 * 3600): Promise<string> {
    const jwt = new SignJWT({ role: caller.role })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(caller.sub)
      .setIssuer(this.#issuer);
    if (this.#audience !== undefined) jwt.setAudience(this.#audience);
    return jwt
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.#key);
  }

  /**
   * Verifies a token; UNAUTHENTICATED with a reason when it is not one this platform issued and still valid.
   * A token verified once is trusted again without its HMAC for up to a minute (never past its expiry): every call
   * carries one, and the verification was a fifth of the cost of a call. Refusals are not remembered.
   */
  async verify(token: string): Promise<Caller> {
    const now = Date.now();
    const hit = this.#verified.get(token);
    if (hit !== undefined) {
      if (hit.until > now) return hit.caller;
      this.#verified.delete(token);
    }
    const { caller, expiresAt } = await this.#verifySignature(token);
    if (this.#maxEntries > 0) {
      if (this.#verified.size >= this.#maxEntries) {
        this.#verified.delete(this.#verified.keys().next().value as string);
      }
      this.#verified.set(token, { caller, until: Math.min(expiresAt, now + this.#ttlMs) });
    }
    return caller;
  }

  async #verifySignature(token: string): Promise<{ caller: Caller; expiresAt: number }> {
    const audience = this.#audience === undefined ? {} : { audience: this.#audience };
    let issuer = this.#issuer;
    try {
      let payload: JWTPayload;
      let role: unknown;
      if (this.#external && headerAlg(token) !== "HS256") {
        issuer = this.#external.issuer;
        ({ payload } = await jwtVerify(token, this.#external.keys, { algorithms: EXTERNAL_ALGORITHMS, issuer, ...audience }));
        // An identity provider knows people, not this platform's roles: without a role claim they are buyers.
        role = ROLES.includes(payload["role"] as Role) ? payload["role"] : "customer";
      } else {
        ({ payload } = await jwtVerify(token, this.#key, { algorithms: ["HS256"], issuer, ...audience }));
        role = payload["role"];
      }
      if (typeof payload.sub !== "string" || payload.sub === "" || !ROLES.includes(role as Role)) {
        throw new DomainError("Unauthenticated", "token lacks a subject or a known role");
      }
      if (payload.sub.length > MAX_SUBJECT_LENGTH || !isText(payload.sub)) {
        throw new DomainError("Unauthenticated", `token subject must be text of at most ${MAX_SUBJECT_LENGTH} characters`);
      }
      // Shared by every call the cache answers: frozen so no handler can change another call's caller.
      const caller = Object.freeze({ sub: payload.sub, role: role as Role });
      return { caller, expiresAt: payload.exp === undefined ? Number.POSITIVE_INFINITY : payload.exp * 1000 };
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError("Unauthenticated", refusalReason(err, issuer, this.#audience));
    }
  }
}

function headerAlg(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
}

/**
 * Why jose refused a token, in words that tell the caller what to fix: a bare "invalid token" sent people hunting
 * (most often it is a token signed by another deployment's secret). Names the claim at fault, never the secret.
 */
function refusalReason(err: unknown, issuer: string, audience: string | undefined): string {
  const at = (seconds: unknown) => (typeof seconds === "number" ? ` at ${new Date(seconds * 1000).toISOString()}` : "");
  if (err instanceof joseErrors.JWTExpired) return `token expired${at(err.payload.exp)}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return "invalid token: bad signature (it was not signed with this deployment's TICKETING_JWT_SECRET)";
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "invalid token: wrong algorithm (HS256, or the configured OIDC issuer's keys)";
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "invalid token: signed with a key the issuer's JWKS does not list";
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JOSEError && err.code === "ERR_JWKS_INVALID") {
    return "cannot check the token: the issuer's JWKS could not be read";
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === "iss") {
      const iss = err.payload.iss;
      return iss === undefined
        ? `invalid token: no "iss" claim (it must be "${issuer}")`
        : `invalid token: wrong issuer ${JSON.stringify(String(iss).slice(0, 64))} (it must be "${issuer}")`;
    }
    if (claim === "aud") return `invalid token: wrong or no audience (it must be "${audience ?? ""}")`;
    if (claim === "nbf") return `invalid token: not valid yet (nbf${at(err.payload.nbf)})`;
    return `invalid token: the "${claim}" claim is ${err.reason === "missing" ? "missing" : "malformed"}`;
  }
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
    return "invalid token: malformed (a JWT is three base64url parts separated by dots, with a JSON payload)";
  }
  return "invalid token";
}

/** Where the auth interceptor leaves the verified caller for handlers. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "verified caller" });

/** The verified caller of a request; every ticketing RPC has one (the interceptor refuses requests without). */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new DomainError("Unauthenticated", "no caller on this request");
  return caller;
}

/** Roles that reach only the RPCs that name them: door staff (`gate`) scan codes and read the keys, nothing else. */
const CONFINED_ROLES: readonly Role[] = ["gate"];

/** Who may call which RPC, from the roles each service declares per method. */
export interface AccessRules {
  /** The roles an RPC ("package.Service/Method") is limited to; undefined: every authenticated caller. */
  rolesOf(rpc: string): readonly Role[] | undefined;
  /** The only RPCs a confined role may call; undefined for the other roles. */
  confinedTo(role: Role): ReadonlySet<string> | undefined;
}

/** One service's declaration: its descriptor and the roles per method name. */
export interface ServiceAccess {
  readonly service: DescService;
  readonly roles: Readonly<Record<string, readonly Role[]>>;
}

/** Builds the rules; a role declared for a method the service does not have is a mistake caught at start. */
export function accessRules(services: readonly ServiceAccess[]): AccessRules {
  const byRpc = new Map<string, readonly Role[]>();
  for (const { service, roles } of services) {
    for (const [method, allowed] of Object.entries(roles)) {
      if (!service.methods.some((m) => m.name === method)) throw new Error(`${service.typeName} has no method ${method} to give roles to`);
      byRpc.set(`${service.typeName}/${method}`, allowed);
    }
  }
  const confined = new Map(
    CONFINED_ROLES.map((role) => [role, new Set([...byRpc].filter(([, allowed]) => allowed.includes(role)).map(([rpc]) => rpc))]),
  );
  return {
    rolesOf: (rpc) => byRpc.get(rpc),
    confinedTo: (role) => confined.get(role),
  };
}

/** Services and RPCs that need no token: probes and tooling. */
export const PUBLIC_SERVICES: ReadonlySet<string> = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
]);
