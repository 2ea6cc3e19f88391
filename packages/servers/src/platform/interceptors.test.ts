import { createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { Code, event, toTicketingError } from "@ticketing/sdk";
import { pino } from "pino";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { notFound } from "./errors.js";
import { observabilityInterceptor } from "./interceptors.js";

function setup(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level }, stream);
  const transport = createRouterTransport(
    (router) =>
      router.service(event.EventService, {
        getEvent(req) {
          if (req.eventId === "missing") throw notFound("event", req.eventId);
          if (req.eventId === "bug") throw new TypeError("undefined is not a function");
          return { event: { id: req.eventId } };
        },
      }),
    { router: { interceptors: [observabilityInterceptor(logger)] } },
  );
  const client: Client<typeof event.EventService> = createClient(event.EventService, transport);
  return { lines, logger, client };
}

describe("observabilityInterceptor", () => {
  it("builds no logger and writes nothing for a successful call unless debug is on", async () => {
    const { lines, logger, client } = setup("info");
    const child = vi.spyOn(logger, "child");
    let requestId: string | null = null;
    await client.getEvent({ eventId: "e-1" }, { onHeader: (h) => (requestId = h.get("x-request-id")) });
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it("logs successes at debug with method, code, duration and the caller's request id", async () => {
    const { lines, client } = setup("debug");
    await client.getEvent({ eventId: "e-1" }, { headers: { "x-request-id": "req-7" } });
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, msg: "rpc", code: "ok", requestId: "req-7", method: "ticketing.event.v1.EventService/GetEvent", ms: expect.any(Number) }),
    ]);
  });

  it("logs domain errors at info with their code", async () => {
    const { lines, client } = setup("info");
    const err = toTicketingError(await client.getEvent({ eventId: "missing" }).catch((e: unknown) => e));
    expect(err.code).toBe(Code.NotFound);
    expect(lines).toEqual([expect.objectContaining({ level: 30, code: "NotFound", requestId: expect.any(String), error: "event missing not found" })]);
  });

  it("logs unexpected errors at error with the stack, and the client sees INTERNAL naming the request", async () => {
    const { lines, client } = setup("info");
    const err = toTicketingError(await client.getEvent({ eventId: "bug" }, { headers: { "x-request-id": "req-9" } }).catch((e: unknown) => e));
    expect(err.code).toBe(Code.Internal);
    expect(err.message).toBe("internal error (request req-9)");
    expect(err.message).not.toContain("undefined is not a function");
    expect(lines).toEqual([expect.objectContaining({ level: 50, requestId: "req-9", err: expect.objectContaining({ stack: expect.stringContaining("TypeError") }) })]);
  });
});
