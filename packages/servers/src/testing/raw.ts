// Test support: requests as a hostile client sends them, below the SDK: any bytes, any headers, over HTTP/1.1
// (Connect, gRPC-web) or HTTP/2 (gRPC). Answers are reduced to the gRPC code name and message, whatever the protocol.
import { Code } from "@connectrpc/connect";
import * as http from "node:http";
import * as http2 from "node:http2";

export interface RawAnswer {
  /** Lower-case code name as Connect spells it ("ok", "invalid_argument", ...). */
  code: string;
  message: string;
  /** HTTP status (Connect), or 200 for gRPC and gRPC-web. */
  status: number;
  /** The response body (Connect) or the first message (gRPC, without its envelope). */
  body: Buffer;
}

const codeName = (n: number) => (n === 0 ? "ok" : (Code[n] ?? `code_${n}`).replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase());

/** A gRPC envelope around `message`; `flags` 1 marks it compressed. */
export function envelope(message: Uint8Array, flags = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = flags;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** One HTTP/1.1 request (Connect unary or GET, gRPC-web); the answer decoded by the protocol the content type names. */
export function http1(baseUrl: string, method: "GET" | "POST", path: string, headers: Record<string, string>, body?: Uint8Array, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const type = String(res.headers["content-type"] ?? "");
        if (type.startsWith("application/grpc-web")) {
          resolve(grpcWebAnswer(res.headers, raw, res.statusCode ?? 0));
          return;
        }
        if ((res.statusCode ?? 0) === 200) {
          resolve({ code: "ok", message: "", status: 200, body: raw });
          return;
        }
        let parsed: { code?: string; message?: string } = {};
        try {
          parsed = JSON.parse(raw.toString("utf8")) as typeof parsed;
        } catch {
          // a body that is no Connect error: report the status alone
        }
        resolve({ code: parsed.code ?? `http_${res.statusCode}`, message: parsed.message ?? "", status: res.statusCode ?? 0, body: raw });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // The server may answer and close before a large body is sent: the answer is what counts.
    req.on("error", (err) => reject(err));
    req.end(body);
  });
}

function grpcWebAnswer(headers: http.IncomingHttpHeaders, raw: Buffer, status: number): RawAnswer {
  let trailer = "";
  let first: Buffer = Buffer.alloc(0);
  for (let offset = 0; offset + 5 <= raw.length; ) {
    const length = raw.readUInt32BE(offset + 1);
    const data = raw.subarray(offset + 5, offset + 5 + length);
    if ((raw[offset] as number) & 0x80) trailer = data.toString("latin1");
    else if (first.length === 0) first = data;
    offset += 5 + length;
  }
  const fields = new Map(trailer.split("\r\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  const grpcStatus = Number(headers["grpc-status"] ?? fields.get("grpc-status") ?? "2");
  const message = decodeURIComponent(String(headers["grpc-message"] ?? fields.get("grpc-message") ?? ""));
  return { code: codeName(grpcStatus), message, status, body: first };
}

/** One gRPC call over an HTTP/2 session: `body` is sent as given (envelopes included). */
export function grpc(session: http2.ClientHttp2Session, path: string, headers: Record<string, string>, body: Uint8Array, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    let done = false;
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (trailers: http2.IncomingHttpHeaders) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const status = Number(trailers["grpc-status"] ?? head["grpc-status"] ?? "2");
      const message = decodeURIComponent(String(trailers["grpc-message"] ?? head["grpc-message"] ?? ""));
      const raw = Buffer.concat(chunks);
      resolve({ code: codeName(status), message, status: Number(head[":status"] ?? 0), body: raw.length >= 5 ? raw.subarray(5, 5 + raw.readUInt32BE(1)) : raw });
    };
    stream.on("response", (h) => {
      head = h;
      if (h["grpc-status"] !== undefined) finish(h);
    });
    stream.on("trailers", finish);
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("close", () => {
      finish({ "grpc-status": String(Code.Unavailable), "grpc-message": `stream closed (${stream.rstCode})` });
    });
    stream.on("error", () => {
      // the close handler reports it
    });
    stream.end(body);
  });
}
