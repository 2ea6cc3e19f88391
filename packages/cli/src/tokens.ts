import { SignJWT } from "jose";

/**
 * Mints a short-lived token the way the platform does (HS256, issuer "ticketing"), for synthetic buyers in `e2e` and
 * `load onsale` against development deployments whose signing secret you hold.
 */
export async function mintToken(secret: string, sub: string, role: "admin" | "customer", ttlSeconds = 3600): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer("ticketing")
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}
