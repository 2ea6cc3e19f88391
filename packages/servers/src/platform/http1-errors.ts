import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type * as http from "node:http";

/**
 * The refusals connect-node answers with a bare status and no body (404 for a path that is no RPC, 405 for a verb
 * the RPC does not take, 415 for a content type no protocol reads), answered instead with a Connect error JSON that
 * says what to send. Only for HTTP/1.1, where people try curl and browsers; gRPC clients over HTTP/2 read the status.
 * Everything else returns false and goes to connect unchanged.
 */
export function http1Refusals(handlers: readonly UniversalHandler[]) {
  const byPath = new Map(handlers.map((h) => [h.requestPath, h]));
  const services = [...new Set(handlers.map((h) => h.service.typeName))].sort();

  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.httpVersionMajor !== 1) return false;
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const handler = byPath.get(path);
    if (!handler) {
      const [, service = "", method = ""] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
      const message = services.includes(service)
        ? `${service} has no method ${method}`
        : `no RPC at ${path}: RPCs are POST /<service>/<method>, and the services here are ${services.join(", ")}`;
      return refuse(res, 404, "unimplemented", message);
    }
    const method = req.method ?? "";
    if (!handler.allowedMethods.includes(method)) {
      return refuse(res, 405, "unimplemented", `${path} takes ${handler.allowedMethods.join(" or ")}, not ${method}`, {
        allow: handler.allowedMethods.join(", "),
      });
    }
    const contentType = req.headers["content-type"] ?? "";
    if (contentType !== "" && !handler.supportedContentType(contentType)) {
      return refuse(
        res,
        415,
        "invalid_argument",
        `content-type "${contentType}" is not one ${path} reads: send application/json or application/proto (Connect), ` +
          "or application/grpc-web+proto (gRPC-web); gRPC (application/grpc) needs HTTP/2",
        { "accept-post": "application/json, application/proto, application/grpc-web+proto, application/grpc-web+json" },
      );
    }
    return false;
  };
}

function refuse(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): true {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}
