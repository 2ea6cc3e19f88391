import type { TokenAuthority } from "./auth.js";
import type { PostHandler } from "./server.js";

// The development sign-in: POST /dev/sign-in with {"name": "Alice"} answers {"token": "<JWT>", "sub": "alice"}, a
// customer token for that name, with no password. It exists so the storefront can be tried without an identity
// provider; loadConfig refuses to start with it outside embedded mode. Real deployments plug in an OIDC provider
// (TICKETING_OIDC_ISSUER / TICKETING_OIDC_JWKS_URL).

export const DEV_SIGN_IN_PATH = "/dev/sign-in";

const TOKEN_TTL_SECONDS = 12 * 3600;

export function devSignIn(tokens: TokenAuthority): PostHandler {
  return async (body) => {
    let name: unknown;
    try {
      name = (JSON.parse(body.toString("utf8")) as { name?: unknown }).name;
    } catch {
      return json(400, { error: 'send {"name": "…"}' });
    }
    const sub = typeof name === "string" ? name.trim().toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") : "";
    if (sub === "" || sub.length > 64) return json(400, { error: "name: 1 to 64 letters, digits, '.', '_' or '-'" });
    return json(200, { token: await tokens.mint({ sub, role: "customer" }, TOKEN_TTL_SECONDS), sub, role: "customer" });
  };
}

const json = (status: number, value: unknown) => ({ status, body: `${JSON.stringify(value)}\n`, contentType: "application/json" });
