// What the server does with the rest of a request body it answered before reading to the end (a body over the
// limit, a deadline passed): it reads and drops it, and resets the stream only past a bound.
//
// Resetting at once (RST_STREAM NO_ERROR after the answer, as HTTP/2 allows) costs a Node.js client its connection:
// Node's HTTP/2 client counts the request bytes it has queued against its session's memory (maxSessionMemory, 10 MB
// by default) and does not give them back when the stream is reset. After about ten refused 1 MB requests the
// session refuses every answer's headers with ENHANCE_YOUR_CALM and its calls hang until their deadline. Dropping the
// rest lets the client's writes complete; it costs the server no memory (each chunk is released as it arrives, and
// flow control bounds what is in flight), only the bandwidth the client chooses to spend.
import * as http2 from "node:http2";

/** Bytes of a refused body read and dropped before the stream is reset. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
/** Time a client gets to finish sending a refused body before the stream is reset. */
const DISCARD_MAX_MS = 30_000;

const { NGHTTP2_NO_ERROR } = http2.constants;

/**
 * Reads and drops what is left of `stream`'s request body once it has been answered; past `maxBytes` or `maxMs`
 * the stream is reset (NO_ERROR). `stream` must have no other reader left, or that reader must ignore what comes.
 */
export function discardRest(stream: http2.ServerHttp2Stream, maxBytes = DISCARD_MAX_BYTES, maxMs = DISCARD_MAX_MS): void {
  if (stream.readableEnded || stream.closed || stream.destroyed) return;
  let left = maxBytes;
  const stop = () => {
    clearTimeout(timer);
    if (!stream.closed && !stream.destroyed) stream.close(NGHTTP2_NO_ERROR);
  };
  const timer = setTimeout(stop, maxMs);
  timer.unref();
  stream.on("data", (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) stop();
  });
  stream.once("end", () => clearTimeout(timer));
  stream.once("close", () => clearTimeout(timer));
  stream.resume();
}
