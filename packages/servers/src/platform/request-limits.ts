// What a request may be before any of it is believed: its size on the wire and once inflated, its framing, its
// encoding and its deadline. Checked for every protocol connect serves (Connect unary POST and GET, Connect
// streaming, gRPC-web, gRPC with compression) before the interceptors run, so before authentication; the gRPC fast
// path (grpc-unary.ts) applies the same rules itself. docs/adr/0006-hostile-input.md has the reasons.
import { fromBinary, fromJsonString, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalHandler, type UniversalServerRequest } from "@connectrpc/connect/protocol";
import { promisify } from "node:util";
import * as zlib from "node:zlib";

/** 256 KiB: the largest legitimate request (an event with its ticket types and description) is under 40 KiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 256 * 1024;

/** Deadlines beyond a day are read as a day: a timer cannot count further than ≈ 24.8 days, and no call needs more. */
export const MAX_DEADLINE_MS = 24 * 3600 * 1000;

const ENVELOPE_HEADER = 5;
const COMPRESSED_FLAG = 0b1;
const gunzip = promisify(zlib.gunzip);
const brotli = promisify(zlib.brotliDecompress);

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

export function tooLarge(length: number, max: number, what = "message"): ConnectError {
  return new ConnectError(`${what} size ${length} is larger than the limit of ${max} bytes (TICKETING_MAX_REQUEST_BYTES)`, Code.ResourceExhausted);
}

/** JSON text must be valid UTF-8: a decoder that throws instead of substituting U+FFFD. */
const strictTextDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Inflates `bytes`, refusing as soon as the output would pass `max` (a compression bomb is never inflated further). */
async function inflate(encoding: string, bytes: Uint8Array, max: number): Promise<Uint8Array> {
  const options = { maxOutputLength: max };
  try {
    return encoding === "gzip" ? await gunzip(bytes, options) : await brotli(bytes, options);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(max + 1, max, "inflated message");
    throw invalid(`the body is not valid ${encoding} data`);
  }
}

const decodable = (encoding: string | null): encoding is "gzip" | "br" => encoding === "gzip" || encoding === "br";

/** Parses one request message as the method reads it; INVALID_ARGUMENT when it is not one. */
function parse(schema: DescMessage, bytes: Uint8Array, json: boolean): void {
  try {
    if (json) fromJsonString(schema, strictTextDecoder.decode(bytes), { ignoreUnknownFields: true });
    else fromBinary(schema, bytes);
  } catch (err) {
    throw invalid(`the request is not a valid ${schema.typeName} (${json ? "JSON" : "binary"}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

type Framing = { enveloped: boolean; json: boolean; encodingHeader: string };

/** How a POST body of this content type is framed, or undefined for one no protocol reads (connect answers 415). */
function framingOf(contentType: string): Framing | undefined {
  const m = /^application\/(?:(grpc-web|grpc|connect)(?:\+(proto|json))?|(proto|json))\s*(?:;.*)?$/i.exec(contentType.trim());
  if (!m) return undefined;
  const [, protocol, format, unary] = m;
  if (unary !== undefined) return { enveloped: false, json: unary.toLowerCase() === "json", encodingHeader: "content-encoding" };
  const json = format?.toLowerCase() === "json";
  return { enveloped: true, json, encodingHeader: protocol?.toLowerCase() === "connect" ? "connect-content-encoding" : "grpc-encoding" };
}

/** Reads a body up to `limit` bytes; RESOURCE_EXHAUSTED as soon as it is longer, without reading the rest. */
async function readAtMost(body: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.byteLength;
    if (length > limit) throw tooLarge(length, limit, "request body");
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, length);
}

/** Checks one request body completely: framing, size, inflation and parse. Throws the ConnectError to answer. */
async function checkBody(req: UniversalServerRequest, method: DescMethod, framing: Framing, max: number, bytes: Uint8Array): Promise<void> {
  const encoding = req.header.get(framing.encodingHeader);
  if (!framing.enveloped) {
    const message = decodable(encoding) ? await inflate(encoding, bytes, max) : bytes;
    if (message.byteLength > max) throw tooLarge(message.byteLength, max);
    if (encoding === null || encoding === "identity" || decodable(encoding)) parse(method.input, message, framing.json);
    return;
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + ENVELOPE_HEADER <= view.length) {
    const flags = view[offset] as number;
    const length = view.readUInt32BE(offset + 1);
    if (length > max) throw tooLarge(length, max);
    const end = offset + ENVELOPE_HEADER + length;
    if (end > view.length) return; // incomplete: connect says so
    let message: Uint8Array = view.subarray(offset + ENVELOPE_HEADER, end);
    if (flags & COMPRESSED_FLAG) {
      if (encoding === null || encoding === "identity") throw invalid("a compressed message arrived without a message encoding header");
      if (!decodable(encoding)) return; // connect names the encodings it takes
      message = await inflate(encoding, message, max);
    }
    // Connect's end-of-stream message (flag 0b10) is JSON in every format, never a request message.
    if (!(framing.encodingHeader === "connect-content-encoding" && flags & 0b10)) parse(method.input, message, framing.json);
    offset = end;
  }
}

/**
 * Wraps a handler of connect's router so that what it reads of a request body has passed the limits first. The body
 * is read (at most `max` bytes, plus one envelope header), inflated (at most `max` bytes) and parsed before connect
 * sees any of it; a body that fails is handed on as an error, which connect reports in the caller's protocol.
 * Streams from the client (reflection) are left as they are: they are read message by message, under connect's own
 * readMaxBytes.
 */
export function limitedHandler(handler: UniversalHandler, max: number): UniversalHandler {
  const method = handler.method;
  const readsOne = method.methodKind === "unary" || method.methodKind === "server_streaming";
  const limited = async (req: UniversalServerRequest) => {
    clampDeadline(req.header);
    const framing = req.method === "POST" ? framingOf(req.header.get("content-type") ?? "") : undefined;
    if (readsOne && framing !== undefined && isIterable(req.body)) {
      const source = req.body;
      const declared = Number(req.header.get("content-length") ?? "0");
      const limit = max + (framing.enveloped ? ENVELOPE_HEADER : 0);
      req.body = (async function* checked() {
        if (declared > limit) throw tooLarge(declared, limit, "request body");
        const bytes = await readAtMost(source, limit);
        await checkBody(req, method, framing, max, bytes);
        yield* createAsyncIterable([bytes]);
      })();
    }
    return handler(req);
  };
  return Object.assign(limited, {
    requestPath: handler.requestPath,
    service: handler.service,
    method: handler.method,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
    protocolNames: handler.protocolNames,
  });
}

const isIterable = (body: unknown): body is AsyncIterable<Uint8Array> =>
  typeof body === "object" && body !== null && Symbol.asyncIterator in body;

/** A deadline past MAX_DEADLINE_MS becomes MAX_DEADLINE_MS (instead of a timer that fires at once). */
function clampDeadline(header: Headers): void {
  const grpc = header.get("grpc-timeout");
  if (grpc !== null && (grpcTimeoutMs(grpc) ?? 0) > MAX_DEADLINE_MS) header.set("grpc-timeout", `${MAX_DEADLINE_MS / 3_600_000}H`);
  const connect = header.get("connect-timeout-ms");
  if (connect !== null && /^\d{1,10}$/.test(connect) && Number(connect) > MAX_DEADLINE_MS) {
    header.set("connect-timeout-ms", String(MAX_DEADLINE_MS));
  }
}

const GRPC_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

function grpcTimeoutMs(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * (GRPC_UNIT_MS[m[2] as string] as number) : undefined;
}

/**
 * Connect's request gate, run before a request's message is read: the protocol version must be 1 when stated, and a
 * GET request's `message` parameter must be within the limit, well encoded and a message of the method's input.
 */
export function requestGate(max: number) {
  return async (ctx: HandlerContext): Promise<void> => {
    if (ctx.protocolName !== "connect") return;
    const version = ctx.requestHeader.get("connect-protocol-version");
    if (version !== null && version !== "1") throw invalid(`connect-protocol-version must be 1, not ${JSON.stringify(version.slice(0, 20))}`);
    if (ctx.requestMethod !== "GET") return;
    const query = new URL(ctx.url).searchParams;
    const connect = query.get("connect");
    if (connect !== null && connect !== "v1") throw invalid(`the connect query parameter must be v1, not ${JSON.stringify(connect.slice(0, 20))}`);
    const message = query.get("message") ?? "";
    const base64 = query.get("base64") === "1";
    // base64 makes 3 bytes 4 characters
    const limit = base64 ? Math.ceil(max / 3) * 4 : max;
    if (message.length > limit) throw tooLarge(message.length, limit, "message parameter");
    let bytes: Uint8Array;
    if (base64) {
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(message) || message.replace(/=+$/, "").length % 4 === 1) {
        throw invalid("the message parameter is not valid base64");
      }
      bytes = Buffer.from(message, message.includes("-") || message.includes("_") ? "base64url" : "base64");
    } else {
      bytes = new TextEncoder().encode(message);
    }
    const compression = query.get("compression");
    if (decodable(compression)) bytes = await inflate(compression, bytes, max);
    else if (compression !== null && compression !== "identity") return; // connect names the encodings it takes
    if (bytes.byteLength > max) throw tooLarge(bytes.byteLength, max);
    const encoding = query.get("encoding");
    if (encoding === "proto" || encoding === "json") parse(ctx.method.input, bytes, encoding === "json");
  };
}
