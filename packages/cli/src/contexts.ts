import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** How to reach one deployment. */
export interface Context {
  /** Base URL, for example http://127.0.0.1:50600. */
  server: string;
  /** Bearer token (JWT) used for every call. */
  token?: string;
  /** A customer's token, for commands that buy (e2e). */
  customerToken?: string;
  /** Signing secret, only for throwaway development deployments (the embedded server writes it). */
  jwtSecret?: string;
  protocol?: "grpc" | "connect" | "grpc-web";
}

export interface ContextFile {
  current?: string;
  contexts: Record<string, Context>;
}

/** `$XDG_CONFIG_HOME/ticketctl/config.json`, the file the embedded server writes its context to as well. */
export function configPath(env: Record<string, string | undefined>): string {
  return join(env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config"), "ticketctl", "config.json");
}

export async function loadContexts(path: string): Promise<ContextFile> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<ContextFile>;
    return { ...(parsed.current ? { current: parsed.current } : {}), contexts: parsed.contexts ?? {} };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: {} };
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Writes atomically with mode 0600: the file holds tokens. */
export async function saveContexts(path: string, file: ContextFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
