import type { Interceptor } from "@connectrpc/connect";

/** A bearer token, or a function that returns the current one (called before every request). */
export type TokenSource = string | (() => string | undefined | Promise<string | undefined>);

/** Sends `authorization: Bearer <token>` on every request; sends nothing when the source yields no token. */
export function bearerTokenInterceptor(token: TokenSource): Interceptor {
  return (next) => async (req) => {
    const value = typeof token === "function" ? await token() : token;
    if (value) {
      req.header.set("authorization", `Bearer ${value}`);
    }
    return next(req);
  };
}
