import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler } from "@electric-sql/pglite-socket";
import * as net from "node:net";

// PGlite is one backend session. pglite-socket lets several pool connections share it, queueing protocol messages
// and keeping a connection's transaction together — but it queues message by message, so outside a transaction
// one connection's Parse/Bind/Execute can interleave with another's and bind the wrong unnamed statement
// ("bind message supplies 1 parameters, but prepared statement requires 9"). This queue keeps every extended-query
// sequence (up to its Sync) and every transaction with the connection that started it, and otherwise serves
// connections first come, first served. The socket handling itself is pglite-socket's.

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

class SequenceQueue {
  readonly #queue: Pending[] = [];
  #owner: number | undefined;
  #processing = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ handlerId, message, onData, resolve, reject });
      void this.#process();
    });
  }

  async #process(): Promise<void> {
    if (this.#processing) return;
    this.#processing = true;
    try {
      for (;;) {
        const index = this.#owner === undefined ? 0 : this.#queue.findIndex((p) => p.handlerId === this.#owner);
        if (index < 0 || this.#queue.length === 0) return;
        const [next] = this.#queue.splice(index, 1) as [Pending];
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(next.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                next.onData(data);
              },
            }),
          );
        } catch (err) {
          this.#owner = undefined;
          next.reject(err);
          continue;
        }
        const type = next.message[0];
        const sequenceEnds = type === SYNC || type === QUERY || type === TERMINATE;
        this.#owner = !sequenceEnds || this.db.isInTransaction() ? next.handlerId : undefined;
        next.resolve(bytes);
      }
    } finally {
      this.#processing = false;
    }
  }

  getQueueLength(): number {
    return this.#queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const p = this.#queue[i] as Pending;
      if (p.handlerId === handlerId) {
        this.#queue.splice(i, 1);
        p.reject(new Error("connection closed"));
      }
    }
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.#owner = undefined;
    void this.#process();
  }
}

export interface PgliteServer {
  url: string;
  close(): Promise<void>;
}

/** Serves a PGlite database on 127.0.0.1 (a free port) to ordinary PostgreSQL clients and pools. */
export async function servePglite(db: PGlite): Promise<PgliteServer> {
  await db.waitReady;
  const queue = new SequenceQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]["queryQueue"],
      closeOnDetach: true,
    });
    handlers.add(handler);
    handler.addEventListener("close", () => handlers.delete(handler));
    handler.addEventListener("error", () => handlers.delete(handler));
    void handler.attach(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    async close() {
      for (const h of handlers) await h.detach(true);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
