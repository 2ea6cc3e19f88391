// The gRPC fast path: unary calls over HTTP/2 answered straight from the Http2Stream, with the same interceptors and
// implementations as connect's handler but none of its per-call machinery (compat request/response objects,
// async-iterable pipelines, web Headers conversions, AbortControllers). ADR 0004 has the profile that motivated it.
// What it does not serve (other protocols, streaming methods, compressed requests, unknown paths) it declines, and
// server.ts hands the stream to connect.
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import * as http2 from "node:http2";
import { discardRest } from "./drain.js";
import { MAX_DEADLINE_MS, tooLarge } from "./request-limits.js";
import { DEADLINE_MESSAGE, UnaryContext, type UnaryMethod, type UnaryMethods } from "./unary.js";

const { NGHTTP2_CANCEL } = http2.constants;
const ENVELOPE_HEADER = 5;
const COMPRESSED_FLAG = 0b1;
const noop = () => {};

/**
 * Serves `stream` if it is a gRPC unary call this path handles and returns true; returns false, having touched
 * nothing, for everything else.
 */
export type GrpcUnaryHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

export function grpcUnaryHandler(methods: UnaryMethods, maxRequestBytes: number): GrpcUnaryHandler {
  return (stream, headers) => {
    if (headers[":method"] !== "POST") return false;
    const contentType = headers["content-type"];
    if (contentType !== "application/grpc" && contentType !== "application/grpc+proto") return false;
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const target = methods.get(headers[":path"] as string);
    if (target === undefined) return false;
    try {
      new GrpcUnaryCall(methods, target, stream, headers, contentType, maxRequestBytes);
    } catch {
      // Nothing here should throw on headers nghttp2 accepted; if something does, this stream ends, not the process.
      stream.destroy();
    }
    return true;
  };
}

class GrpcUnaryCall {
  readonly #methods: UnaryMethods;
  readonly #target: UnaryMethod;
  readonly #stream: http2.ServerHttp2Stream;
  readonly #contentType: string;
  readonly #max: number;
  readonly #ctx: UnaryContext;
  /**
   * Request bytes kept: the first envelope and the header of a second one, never more (but for the one DATA frame
   * that carries the first header).
   */
  #chunks: Buffer[] = [];
  #kept = 0;
  #received = 0;
  /** Size of the first envelope, header included, once its header has arrived. */
  #expected: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    methods: UnaryMethods,
    target: UnaryMethod,
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    contentType: string,
    max: number,
  ) {
    this.#methods = methods;
    this.#target = target;
    this.#stream = stream;
    this.#contentType = contentType;
    this.#max = max;
    const timeout = parseTimeout((headers["grpc-timeout"] as string | undefined) ?? null, Number.MAX_SAFE_INTEGER);
    this.#ctx = new UnaryContext({
      method: target,
      protocolName: "grpc",
      url: `http://${headers[":authority"] ?? "localhost"}${target.path}`,
      requestHeader: webHeaders(headers),
      timeoutMs: timeout.error || timeout.timeoutMs === undefined ? undefined : Math.min(timeout.timeoutMs, MAX_DEADLINE_MS),
    });
    stream.on("error", noop);
    stream.on("close", () => this.#onClose());
    if (timeout.error) {
      this.#fail(timeout.error);
      return;
    }
    // A deadline past a day is read as a day (request-limits.ts), like connect's handler is told to.
    if (timeout.timeoutMs !== undefined) this.#timer = setTimeout(() => this.#onDeadline(), Math.min(timeout.timeoutMs, MAX_DEADLINE_MS));
    stream.on("data", (chunk: Buffer) => this.#onData(chunk));
    stream.on("end", () => this.#onEnd());
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    this.#received += chunk.length;
    // Until the first header is known the chunk is kept whole (one DATA frame at most); after, only what is needed.
    const room = this.#expected === undefined ? chunk.length : this.#expected + ENVELOPE_HEADER - this.#kept;
    if (room > 0) {
      const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.#chunks.push(kept);
      this.#kept += kept.length;
    }
    if (this.#expected === undefined && this.#kept >= ENVELOPE_HEADER) {
      const length = this.#envelopeLength(0);
      if (length > this.#max) {
        this.#fail(tooLarge(length, this.#max));
        return;
      }
      this.#expected = ENVELOPE_HEADER + length;
    }
    // A second envelope is refused at its end like connect refuses it, unless its header alone is already too large.
    if (this.#expected !== undefined && this.#kept >= this.#expected + ENVELOPE_HEADER) {
      const second = this.#envelopeLength(this.#expected);
      if (second > this.#max) this.#fail(tooLarge(second, this.#max));
    }
  }

  #onEnd(): void {
    if (this.#done) return;
    const expected = this.#expected;
    if (this.#received === 0) {
      this.#fail(new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented));
      return;
    }
    if (expected === undefined || this.#received < expected) {
      this.#fail(new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument));
      return;
    }
    const body = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks, this.#kept);
    if ((body[0] as number) & COMPRESSED_FLAG) {
      this.#fail(new ConnectError("a compressed message arrived without a message encoding header", Code.InvalidArgument));
      return;
    }
    let message: MessageShape<DescMessage>;
    try {
      message = fromBinary(this.#target.method.input, body.subarray(ENVELOPE_HEADER, expected));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.#fail(new ConnectError(`the request is not a valid ${this.#target.method.input.typeName} (binary): ${reason}`, Code.InvalidArgument));
      return;
    }
    if (this.#received > expected) {
      const extra = this.#received - expected;
      const complete = extra >= ENVELOPE_HEADER && extra >= ENVELOPE_HEADER + body.readUInt32BE(expected + 1);
      this.#fail(
        complete
          ? new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented)
          : new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument),
      );
      return;
    }
    this.#methods.invoke(this.#target, this.#ctx, message).then(
      (res) => this.#succeed(res.message, res.header, res.trailer),
      (err: unknown) => this.#fail(ConnectError.from(err)),
    );
  }

  #succeed(message: MessageShape<DescMessage>, header: Headers, trailer: Headers): void {
    if (this.#done) return;
    let bytes: Uint8Array;
    try {
      bytes = toBinary(this.#target.method.output, message);
    } catch (err) {
      this.#fail(new ConnectError(`serialize binary: ${err instanceof Error ? err.message : String(err)}`, Code.Internal));
      return;
    }
    this.#finish();
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) return;
    const frame = Buffer.allocUnsafe(ENVELOPE_HEADER + bytes.length);
    frame[0] = 0;
    frame.writeUInt32BE(bytes.length, 1);
    frame.set(bytes, ENVELOPE_HEADER);
    try {
      const out: http2.OutgoingHttpHeaders = { ":status": 200, "content-type": this.#contentType };
      header.forEach((value, key) => {
        out[key] = value;
      });
      const trailers: http2.OutgoingHttpHeaders = { "grpc-status": "0" };
      trailer.forEach((value, key) => {
        trailers[key] = value;
      });
      stream.respond(out, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers(trailers));
      stream.end(frame);
    } catch {
      // A header HTTP/2 forbids (a handler's "connection", say), or an interceptor's response without headers:
      // nothing valid can be sent any more.
      stream.destroy();
    }
  }

  /** Answers with a trailers-only response: status, message and details in the one HEADERS frame. */
  #fail(error: ConnectError): void {
    if (this.#done) return;
    this.#finish(error);
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) return;
    const out: http2.OutgoingHttpHeaders = { ":status": 200, "content-type": this.#contentType };
    const add = (value: string, key: string) => {
      out[key] = value;
    };
    this.#ctx.headerIfAny?.forEach(add);
    this.#ctx.trailerIfAny?.forEach(add);
    setTrailerStatus(new Headers(), error).forEach(add);
    try {
      stream.respond(out, { endStream: true });
      // A client still sending (a body over the limit) may finish: what it sends is dropped (drain.ts).
      discardRest(stream);
    } catch {
      stream.destroy();
    }
  }

  #onDeadline(): void {
    this.#timer = undefined;
    this.#fail(new ConnectError(DEADLINE_MESSAGE, Code.DeadlineExceeded));
  }

  #onClose(): void {
    if (this.#done) return;
    const code = this.#stream.rstCode ?? NGHTTP2_CANCEL;
    this.#finish(new ConnectError(`http/2 stream closed with error code ${code === NGHTTP2_CANCEL ? "CANCEL" : code} (0x${code.toString(16)})`, Code.Canceled));
  }

  /** The call is over: late results are dropped, the deadline timer stops and the handler's signal aborts. */
  #finish(reason?: ConnectError): void {
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#ctx.abort(reason);
  }

  #envelopeLength(offset: number): number {
    let first = this.#chunks[0] as Buffer;
    if (first.length < offset + ENVELOPE_HEADER) {
      first = Buffer.concat(this.#chunks, this.#kept);
      this.#chunks = [first];
    }
    return first.readUInt32BE(offset + 1);
  }
}

function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[key];
    if (typeof value === "string") out.append(key, value);
    else if (Array.isArray(value)) for (const v of value) out.append(key, v);
  }
  return out;
}
