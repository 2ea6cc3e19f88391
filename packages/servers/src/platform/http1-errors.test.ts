import { create } from "@bufbuild/protobuf";
import { event } from "@ticketing/sdk";
import * as http2 from "node:http2";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthState } from "./health.js";
import { startRpcServer, type RpcServer } from "./server.js";

let server: RpcServer;

beforeAll(async () => {
  const health = new HealthState([event.EventService.typeName]);
  health.setServing(true);
  server = await startRpcServer("127.0.0.1", 0, {
    interceptors: [],
    health,
    logger: pino({ level: "silent" }),
    routes: (router) => {
      router.service(event.EventService, {
        async getEvent(req) {
          return { event: create(event.EventSchema, { id: req.eventId, name: "Open Air" }) };
        },
      });
    },
  });
});
afterAll(() => server.close(0));

/** One request over HTTP/1.1 (fetch speaks nothing else here); the answer's status, type and parsed body. */
async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), headers: res.headers, body: text ? (JSON.parse(text) as { code: string; message: string }) : undefined };
}

const json = { method: "POST", headers: { "content-type": "application/json" }, body: "{}" };

describe("refusals over HTTP/1.1 carry a Connect error body", () => {
  it("a content type no protocol reads: 415 with what to send instead", async () => {
    const res = await call("/ticketing.event.v1.EventService/GetEvent", { ...json, headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
    expect(res.type).toBe("application/json");
    expect(res.body?.code).toBe("invalid_argument");
    expect(res.body?.message).toContain('content-type "text/plain"');
    expect(res.body?.message).toContain("application/json");
    expect(res.headers.get("accept-post")).toContain("application/proto");
  });

  it("an unknown method of a known service, and a path that is no RPC: 404 naming what exists", async () => {
    const method = await call("/ticketing.event.v1.EventService/Nope", json);
    expect(method.status).toBe(404);
    expect(method.body).toEqual({ code: "unimplemented", message: "ticketing.event.v1.EventService has no method Nope" });
    const root = await call("/", { method: "GET" });
    expect(root.status).toBe(404);
    expect(root.body?.code).toBe("unimplemented");
    expect(root.body?.message).toContain("ticketing.event.v1.EventService");
  });

  it("a verb the RPC does not take: 405 with Allow", async () => {
    const res = await call("/ticketing.event.v1.EventService/CreateEvent", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.body?.code).toBe("unimplemented");
  });

  it("well-formed calls still reach connect: POST JSON, and GET of a read", async () => {
    const post = await call("/ticketing.event.v1.EventService/GetEvent", { ...json, body: '{"eventId":"e-1"}' });
    expect(post.status).toBe(200);
    expect(post.body).toMatchObject({ event: { id: "e-1", name: "Open Air" } });
    const get = await call(`/ticketing.event.v1.EventService/GetEvent?encoding=json&message=${encodeURIComponent('{"eventId":"e-2"}')}`);
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ event: { id: "e-2" } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("HTTP/2 is left as it was: an unknown path there is connect's bare 404", async () => {
    const session = http2.connect(server.url);
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": "/ticketing.event.v1.EventService/Nope", "content-type": "application/json" });
        let status = 0;
        let body = "";
        stream.on("response", (h) => (status = Number(h[":status"])));
        stream.on("data", (d: Buffer) => (body += d.toString()));
        stream.on("end", () => resolve({ status, body }));
        stream.on("error", reject);
        stream.end("{}");
      });
      expect(answer).toEqual({ status: 404, body: "" });
    } finally {
      session.close();
    }
  });
});

describe("shutdown", () => {
  it("does not wait for an idle HTTP/1.1 keep-alive connection", async () => {
    const health = new HealthState([event.EventService.typeName]);
    health.setServing(true);
    const own = await startRpcServer("127.0.0.1", 0, { interceptors: [], health, logger: pino({ level: "silent" }), routes: () => {} });
    // fetch keeps the connection open after the answer, idle, as a load balancer's probe would.
    const res = await fetch(`${own.url}/healthz`);
    await res.arrayBuffer();
    const started = performance.now();
    await own.close(20_000);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
