/**
 * @ticketing/sdk for Node.js: typed clients for the platform's v1 services over gRPC (HTTP/2), Connect or gRPC-web.
 * Browsers get `@ticketing/sdk/web` (chosen automatically by bundlers through the "browser" export condition).
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { buildClient, type Protocol, type TicketingClient, type TicketingClientOptions } from "./client.js";

export * from "./common.js";

/**
 * Creates typed clients for the services.
 *
 * @example
 * const client = createTicketingClient({ baseUrl: "http://127.0.0.1:50600", token: process.env.TICKETING_TOKEN });
 * const { events } = await client.events.listEvents({ pageSize: 10 });
 */
export function createTicketingClient(options: TicketingClientOptions): TicketingClient {
  return buildClient(options, ({ baseUrl, interceptors, timeoutMs }) =>
    nodeTransport(options.protocol ?? "grpc", baseUrl, interceptors, timeoutMs),
  );
}

function nodeTransport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[], timeoutMs: number): Transport {
  const common = { baseUrl, interceptors, defaultTimeoutMs: timeoutMs };
  switch (protocol) {
    case "grpc":
      return createGrpcTransport(common);
    case "connect":
      return createConnectTransport({ ...common, httpVersion: "1.1" });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, httpVersion: "1.1" });
    default:
      throw new TypeError(`createTicketingClient: unknown protocol "${String(protocol)}" (grpc, connect, grpc-web)`);
  }
}
