// Ceiling servers for the RPC benchmark: each answers ticketing.event.v1.EventService/GetEvent from memory with one
// fixed event, so a load driver can show what each RPC layer costs with nothing else behind it.
//   node packages/servers/dist/bench/ceilings.js --kind raw|grpc-js|connect|platform [--port N] [--host H]
// Prints `ready <port>` on stdout once listening. Only `platform` needs a token: it runs this repository's server with
// the real interceptor chain and verifies HS256 tokens signed with TICKETING_JWT_SECRET (mint one with
// `ticketing-server token --sub bench --role customer`).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { event as pb } from "@ticketing/sdk";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { accessRules, TokenAuthority } from "../platform/auth.js";
import { HealthState } from "../platform/health.js";
import { authInterceptor, observabilityInterceptor } from "../platform/interceptors.js";
import { startRpcServer } from "../platform/server.js";

const KINDS = ["raw", "grpc-js", "connect", "platform"] as const;
type Kind = (typeof KINDS)[number];

const { values } = parseArgs({
  options: {
    kind: { type: "string" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const kind = values.kind as Kind;
if (!KINDS.includes(kind)) {
  process.stderr.write(`--kind must be one of ${KINDS.join(", ")}\n`);
  process.exit(2);
}
const port = Number(values.port);
const host = values.host as string;

const EVENT_ID = "00000000-0000-4000-8000-000000000001";
const response = create(pb.GetEventResponseSchema, {
  event: {
    id: EVENT_ID,
    name: "Ceiling Benchmark Live",
    description: "One fixed event answered from memory",
    venue: { name: "Main Hall", location: "Berlin" },
    startsAt: timestampFromDate(new Date("2027-06-01T19:00:00Z")),
    endsAt: timestampFromDate(new Date("2027-06-01T23:00:00Z")),
    ticketTypes: [
      {
        id: "00000000-0000-4000-8000-000000000002",
        eventId: EVENT_ID,
        name: "Standing",
        price: { amountMinor: 4500n, currency: "EUR" },
        capacity: 1000,
      },
    ],
    createdAt: timestampFromDate(new Date("2026-11-01T00:00:00Z")),
  },
});
const PATH = `/${pb.EventService.typeName}/${pb.EventService.method.getEvent.name}`;

async function serveRaw(): Promise<number> {
  // The whole gRPC answer is encoded once: a ceiling for what any framework on node:http2 can reach.
  const body = toBinary(pb.GetEventResponseSchema, response);
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    if (headers[":path"] !== PATH) {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12" }, { endStream: true });
      return;
    }
    stream.on("data", () => {});
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame);
    });
  });
  return listen(server);
}

async function serveGrpcJs(): Promise<number> {
  const server = new grpc.Server();
  const bytes = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  server.addService(
    {
      getEvent: {
        path: PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: pb.GetEventRequest) => bytes(toBinary(pb.GetEventRequestSchema, m)),
        requestDeserialize: (b: Buffer) => fromBinary(pb.GetEventRequestSchema, b),
        responseSerialize: (m: pb.GetEventResponse) => bytes(toBinary(pb.GetEventResponseSchema, m)),
        responseDeserialize: (b: Buffer) => fromBinary(pb.GetEventResponseSchema, b),
      },
    },
    {
      getEvent: (_call: grpc.ServerUnaryCall<pb.GetEventRequest, pb.GetEventResponse>, done: grpc.sendUnaryData<pb.GetEventResponse>) =>
        done(null, response),
    },
  );
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
}

async function serveConnect(): Promise<number> {
  const router = (r: ConnectRouter) => r.service(pb.EventService, { getEvent: () => response });
  return listen(http2.createServer(connectNodeAdapter({ routes: router })));
}

async function servePlatform(): Promise<number> {
  const secret = process.env["TICKETING_JWT_SECRET"];
  if (!secret || secret.length < 32) {
    process.stderr.write("--kind platform needs TICKETING_JWT_SECRET (at least 32 characters)\n");
    process.exit(2);
  }
  // Logs go to stderr so stdout carries only the ready line.
  const logger = pino({ level: process.env["TICKETING_LOG_LEVEL"] ?? "info" }, pino.destination(2));
  const health = new HealthState([pb.EventService.typeName]);
  health.setServing(true);
  const server = await startRpcServer(host, port, {
    routes: (router) => router.service(pb.EventService, { getEvent: () => response }),
    interceptors: [observabilityInterceptor(logger), authInterceptor(new TokenAuthority(secret), accessRules([]))],
    health,
    logger,
  });
  return server.port;
}

function listen(server: http2.Http2Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

const serve: Record<Kind, () => Promise<number>> = {
  raw: serveRaw,
  "grpc-js": serveGrpcJs,
  connect: serveConnect,
  platform: servePlatform,
};
const bound = await serve[kind]();
process.stdout.write(`ready ${bound}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(0));
