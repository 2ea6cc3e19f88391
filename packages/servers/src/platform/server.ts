import { Code, ConnectError, createConnectRouter, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { corsHandler } from "./cors.js";
import { discardRest } from "./drain.js";
import { grpcUnaryHandler } from "./grpc-unary.js";
import type { HealthState } from "./health.js";
import { http1Refusals } from "./http1-errors.js";
import type { Logger } from "./logger.js";
import { DEFAULT_MAX_REQUEST_BYTES, limitedHandler, requestGate } from "./request-limits.js";
import { UnaryMethods } from "./unary.js";

/** The HTTP/2 connection preface starts with these bytes; anything else is treated as HTTP/1.1. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0");

export interface RpcServerOptions {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  health: HealthState;
  logger: Logger;
  /** What GET /metrics answers: the Prometheus text exposition and its content type. */
  metrics?: { text(): Promise<string>; readonly contentType: string };
  /**
   * Largest request message accepted, in bytes, by every protocol, on the wire and once inflated; a larger one is
   * RESOURCE_EXHAUSTED before authentication. Default 256 KiB (request-limits.ts).
   */
  maxRequestBytes?: number;
  /** Origins whose pages may call from a browser (CORS). Default none. */
  corsOrigins?: readonly string[];
  /** Plain HTTP POST endpoints beside the RPCs (payment webhooks), by path; they get the raw body. */
  posts?: Readonly<Record<string, PostHandler>>;
}

/** Largest body a plain POST endpoint reads. */
const MAX_POST_BYTES = 256 * 1024;

/** A plain POST endpoint: the exact bytes of the body and the request's headers in, a status and a text out. */
export type PostHandler = (
  body: Buffer,
  header: (name: string) => string | undefined,
) => Promise<{ status: number; body: string; contentType?: string }>;

export interface RpcServer {
  /** The address actually bound (port 0 picks a free one). */
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets calls in flight finish for up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

function servePost(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse, handle: PostHandler, logger: Logger): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_POST_BYTES) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_POST_BYTES) {
      res.writeHead(413, { "content-type": "text/plain" });
      res.end("body too large\n");
      return;
    }
    const header = (name: string) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(",") : value;
    };
    handle(Buffer.concat(chunks), header).then(
      (answer) => {
        res.writeHead(answer.status, { "content-type": answer.contentType ?? "text/plain" });
        res.end(answer.body);
      },
      (err: unknown) => {
        // Retryable for the sender: nothing was recorded as handled.
        logger.error({ err, path: req.url }, "POST endpoint failed");
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("try again later\n");
      },
    );
  });
}

/**
 * A body refused before its end (too large) is still arriving when the answer goes out. Over HTTP/1.1 the answer
 * then closes the connection (a client would otherwise send its next request behind the rest of the refused body);
 * over HTTP/2 the rest is read and dropped once answered (drain.ts), as the gRPC fast path does.
 */
function closeIfUnread(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  if ("stream" in req) {
    // The stream's own "finish" (the answer's last frame is out), not the response's: Node emits that one only once
    // the stream has closed, which a paused, unread body never lets happen.
    const stream = req.stream;
    stream.once("finish", () => {
      if (stream.readableEnded || stream.closed) return;
      // Nobody reads the compat request any more: its listener would keep the rest buffered, or the stream paused.
      stream.removeAllListeners("data");
      discardRest(stream);
    });
    return;
  }
  const plain = res as http.ServerResponse;
  const writeHead = plain.writeHead.bind(plain) as (...args: unknown[]) => http.ServerResponse;
  plain.writeHead = ((...args: unknown[]) => {
    if (!req.complete) plain.shouldKeepAlive = false;
    return writeHead(...args);
  }) as typeof plain.writeHead;
}

/**
 * Serves the routes on ONE port for every client: gRPC over HTTP/2 (h2c, prior knowledge), and Connect and
 * gRPC-web over HTTP/1.1 for browsers and curl. The first bytes of each connection decide which server gets it.
 * GET /healthz (alive) and /readyz (serving) answer plain HTTP on the same port for probes, and GET /metrics the
 * Prometheus text of `options.metrics`.
 *
 * gRPC unary calls over HTTP/2 take a fast path (grpc-unary.ts) through the same interceptors and implementations;
 * every other request is connect's, as is any stream the fast path declines, after request-limits.ts has checked
 * its size, encoding and framing.
 */
export async function startRpcServer(host: string, port: number, options: RpcServerOptions): Promise<RpcServer> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const unary = new UnaryMethods(options.interceptors);
  const router = createConnectRouter({
    interceptors: options.interceptors,
    readMaxBytes: maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
    // Connect GET requests let browsers cache NO_SIDE_EFFECTS reads.
    requireConnectProtocolHeader: false,
    requestGate: requestGate(maxRequestBytes),
  });
  options.routes(unary.recorder(router));
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, limitedHandler(h, maxRequestBytes)]));
  const rpc = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const target = handlers.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!target) {
      res.writeHead(404);
      res.end();
      return;
    }
    closeIfUnread(req, res);
    target(universalRequestFromNodeRequest(req, res, undefined, undefined))
      .then((answer) => universalResponseToNodeResponse(answer, res))
      .catch((err: unknown) => {
        if (ConnectError.from(err).code === Code.Aborted) return;
        options.logger.error({ err, path: target.requestPath }, "rpc handler failed");
      });
  };
  const refuseHttp1 = http1Refusals(router.handlers);
  const cors = corsHandler(options.corsOrigins ?? []);
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (cors(req, res as http.ServerResponse)) return;
    const post = req.method === "POST" ? options.posts?.[req.url ?? ""] : undefined;
    if (post) {
      servePost(req, res as http.ServerResponse, post, options.logger);
      return;
    }
    if (req.method === "GET" && (req.url === "/healthz" || req.url === "/readyz")) {
      const ok = req.url === "/healthz" || options.health.serving;
      const plain = res as http.ServerResponse;
      plain.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      plain.end(ok ? "ok\n" : `not serving${options.health.problems.map((p) => `\n${p}`).join("")}\n`);
      return;
    }
    if (req.method === "GET" && req.url === "/metrics" && options.metrics) {
      const plain = res as http.ServerResponse;
      const metrics = options.metrics;
      metrics.text().then(
        (text) => {
          plain.writeHead(200, { "content-type": metrics.contentType });
          plain.end(text);
        },
        () => {
          plain.writeHead(500);
          plain.end();
        },
      );
      return;
    }
    if (refuseHttp1(req as http.IncomingMessage, res as http.ServerResponse)) return;
    rpc(req as http.IncomingMessage, res as http.ServerResponse);
  };

  // Streams arrive on `h2`, which has no 'request' listener and so builds no compat objects; those the fast path
  // declines are replayed on `compat`, whose 'request' listener makes Node wrap them for connect as usual.
  const fast = grpcUnaryHandler(unary, maxRequestBytes);
  const compat = http2.createServer({}, handler);
  const h2 = http2.createServer({});
  h2.on("stream", (stream, headers, flags, rawHeaders) => {
    if (!fast(stream, headers)) compat.emit("stream", stream, headers, flags, rawHeaders);
  });
  const h1 = http.createServer(handler);
  // Longer than clients keep an idle connection (Node's agent: 5 s): a server that closes first races the client's
  // next request on that connection, which then fails with EPIPE / ECONNRESET although nothing was wrong with it.
  h1.keepAliveTimeout = 65_000;
  // That long an idle connection would hold a shutdown up: on close, connections without a request in flight are
  // ended at once, and the others once their response is done (Node's closeIdleConnections does not see these
  // connections, which come from the shared listener below).
  const h1Sockets = new Set<net.Socket>();
  const h1InFlight = new Map<net.Socket, number>();
  let closing = false;
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket as net.Socket;
    h1InFlight.set(socket, (h1InFlight.get(socket) ?? 0) + 1);
    if (closing) res.shouldKeepAlive = false;
    res.once("close", () => {
      const left = (h1InFlight.get(socket) ?? 1) - 1;
      if (left > 0) h1InFlight.set(socket, left);
      else {
        h1InFlight.delete(socket);
        if (closing) socket.end();
      }
    });
  });
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const isH2 = chunk.subarray(0, H2_PREFACE.length).equals(H2_PREFACE.subarray(0, Math.min(chunk.length, H2_PREFACE.length)));
      if (isH2) {
        // The HTTP/2 session reads what is already buffered itself (on the next tick); resuming here would
        // flow that first chunk to no one.
        h2.emit("connection", socket);
      } else {
        h1Sockets.add(socket);
        socket.once("close", () => h1Sockets.delete(socket));
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => resolve());
  });
  const bound = (tcp.address() as net.AddressInfo).port;
  const displayHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;

  return {
    port: bound,
    url: `http://${displayHost}:${bound}`,
    // Half of the 10 s a supervisor (the fault suite, a short terminationGracePeriod) waits before SIGKILL, so that
    // what the shutdown does after the server (relays, consumers, pools) still fits in.
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      closing = true;
      for (const socket of h1Sockets) if (!h1InFlight.has(socket)) socket.end();
      h1.closeIdleConnections();
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      const drained = (async () => {
        while (sockets.size > 0) {
          h1.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await Promise.all([closed, drained]);
      clearTimeout(deadline);
    },
  };
}
