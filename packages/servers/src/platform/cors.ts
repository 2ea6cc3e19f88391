import type * as http from "node:http";
import type * as http2 from "node:http2";

// CORS for browsers calling the RPC port from another origin (a storefront). Only the configured origins get an
// Access-Control-Allow-Origin, always their own origin echoed and never "*"; credentials are never allowed, since the
// platform reads a bearer token from a header and no cookie. Preflights from other origins are refused (403).

/** Request headers the Connect and gRPC-web protocols (and the SDK) send. */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "connect-protocol-version",
  "connect-timeout-ms",
  "grpc-timeout",
  "x-grpc-web",
  "x-user-agent",
  "x-request-id",
].join(", ");

/** Response headers a browser client must be able to read: gRPC-web's status, error details, the request id. */
const EXPOSED_HEADERS = ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"].join(", ");

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse;

/**
 * Returns a function that adds the CORS headers a request's origin is entitled to, and answers preflights itself
 * (returning true when it did).
 */
export function corsHandler(origins: readonly string[]): (req: Req, res: Res) => boolean {
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    if (allowed.size > 0) res.setHeader("vary", "Origin");
    const ok = typeof origin === "string" && allowed.has(origin);
    if (req.method === "OPTIONS" && typeof origin === "string" && req.headers["access-control-request-method"] !== undefined) {
      if (!ok) {
        res.writeHead(403, { "content-type": "text/plain" });
        res.end("origin not allowed\n");
        return true;
      }
      res.writeHead(204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "7200",
        vary: "Origin",
      });
      res.end();
      return true;
    }
    if (ok) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    }
    return false;
  };
}
