/**
 * @ticketing/sdk for browsers: typed clients over Connect or gRPC-web through `fetch`. No Node.js built-ins.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { buildClient, type Protocol, type TicketingClient, type TicketingClientOptions } from "./client.js";

export * from "./common.js";

/**
 * Creates typed clients for the services from a browser. Protocol "connect" (default) or "grpc-web";
 * plain gRPC needs HTTP trailers, which browsers do not expose.
 */
export function createTicketingClient(options: TicketingClientOptions): TicketingClient {
  return buildClient(options, ({ baseUrl, interceptors, timeoutMs }) =>
    webTransport(options.protocol ?? "connect", baseUrl, interceptors, timeoutMs),
  );
}

function webTransport(protocol: Protocol, baseUrl: string, interceptors: Interceptor[], timeoutMs: number): Transport {
  const common = { baseUrl, interceptors, defaultTimeoutMs: timeoutMs };
  switch (protocol) {
    case "connect":
      return createConnectTransport(common);
    case "grpc-web":
      return createGrpcWebTransport(common);
    case "grpc":
      throw new TypeError('createTicketingClient: browsers cannot speak "grpc"; use "connect" or "grpc-web"');
    default:
      throw new TypeError(`createTicketingClient: unknown protocol "${String(protocol)}" (connect, grpc-web)`);
  }
}
