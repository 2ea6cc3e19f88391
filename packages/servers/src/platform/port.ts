import * as net from "node:net";

export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
}

/**
 * Fails at once when something already listens on host:port. Start-up opens databases and applies migrations before
 * it listens; without this check a second start on a busy port did all of that and only then failed.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") {
        reject(new PortInUseError(`port ${port} is in use — is the platform already running? \`make stop\` stops it`));
      } else {
        reject(err);
      }
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
