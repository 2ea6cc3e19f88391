// Serves a router on real sockets for the SDK's network tests: gRPC over HTTP/2 (h2c) on one port, and
// Connect / gRPC-web over HTTP/1.1 on another.
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";

export interface ServedRouter {
  /** Base URL of the HTTP/2 listener (gRPC, and Connect / gRPC-web over HTTP/2). */
  h2Url: string;
  /** Base URL of the HTTP/1.1 listener (Connect and gRPC-web). */
  h1Url: string;
  close(): Promise<void>;
}

export async function serveRouter(routes: (router: ConnectRouter) => void): Promise<ServedRouter> {
  const handler = connectNodeAdapter({ routes });
  const h2 = http2.createServer(handler);
  const h1 = http.createServer(handler);
  await Promise.all([listen(h2), listen(h1)]);
  return {
    h2Url: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    h1Url: `http://127.0.0.1:${(h1.address() as AddressInfo).port}`,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => h2.close(() => resolve())),
        new Promise<void>((resolve) => {
          h1.closeAllConnections();
          h1.close(() => resolve());
        }),
      ]);
    },
  };
}

function listen(server: http.Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}
