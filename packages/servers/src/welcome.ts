// What an embedded platform hands the person who started it: ticketctl contexts, a shell env file, and the banner.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface Welcome {
  /** Base URL the platform answers on. */
  url: string;
  adminToken: string;
  customerToken: string;
  /** The customer token's subject. */
  customer: string;
  /** The embedded platform's throwaway signing secret (never a real deployment's). */
  jwtSecret: string;
}

/**
 * The ticketctl context name of the platform at `url`: one per address, so starting a second platform (another port,
 * a test) adds a context instead of silently repointing the one another terminal uses.
 */
export function contextName(url: string): string {
  const { hostname, port } = new URL(url);
  return ["127.0.0.1", "localhost", "[::1]"].includes(hostname) ? `embedded-${port}` : `embedded-${hostname}-${port}`;
}

export interface WrittenContexts {
  file: string;
  admin: string;
  customer: string;
}

/**
 * Writes two ticketctl contexts for this platform and makes the admin one current: `embedded-PORT` (admin token,
 * plus the customer token and the signing secret, so `ticketctl e2e` and `load onsale` can mint synthetic buyers) and
 * `embedded-PORT-customer` (the customer's token only). Other contexts are kept. Mode 0600: the file holds tokens.
 */
export async function writeCliContexts(w: Welcome, env: Record<string, string | undefined> = process.env): Promise<WrittenContexts> {
  const file = join(env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config"), "ticketctl", "config.json");
  let current: { current?: string; contexts?: Record<string, unknown> } = {};
  try {
    current = JSON.parse(await readFile(file, "utf8"));
  } catch {
    // no config yet, or one ticketctl cannot read either: start over
  }
  const admin = contextName(w.url);
  const customer = `${admin}-customer`;
  const next = {
    ...current,
    current: admin,
    contexts: {
      ...(current.contexts ?? {}),
      [admin]: { server: w.url, token: w.adminToken, customerToken: w.customerToken, jwtSecret: w.jwtSecret, protocol: "grpc" },
      [customer]: { server: w.url, token: w.customerToken, protocol: "grpc" },
    },
  };
  await mkdir(dirname(file), { recursive: true });
  // Written whole and renamed, so a ticketctl reading it meanwhile never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return { file, admin, customer };
}

/** The shell lines that point curl, buf curl, grpcurl and scripts at this platform (tokens only when embedded). */
function exportLines(w: Pick<Welcome, "url"> & Partial<Welcome>): string[] {
  return [
    `export TICKETING_URL=${w.url}`,
    ...(w.adminToken ? [`export ADMIN_TOKEN=${w.adminToken}`] : []),
    ...(w.customerToken ? [`export CUSTOMER_TOKEN=${w.customerToken}`] : []),
  ];
}

/** Writes the export lines to `file` (mode 0600) for `source`; removed again by `removeEnvFile` on shutdown. */
export async function writeEnvFile(file: string, w: Pick<Welcome, "url"> & Partial<Welcome>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const lines = [`# The ticketing platform at ${w.url}, written when it started; \`source\` this file.`, ...exportLines(w)];
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** Removes the env file if it still describes the platform at `url` (a newer platform may have written its own). */
export async function removeEnvFile(file: string, url: string): Promise<void> {
  try {
    if ((await readFile(file, "utf8")).includes(`export TICKETING_URL=${url}\n`)) await rm(file, { force: true });
  } catch {
    // already gone
  }
}

/**
 * The start banner: the address first, then what to paste. Printed after the last start-up log line, so it is what a
 * terminal shows once the platform is up.
 */
export function banner(w: Welcome, opts: { storage: string; contexts?: WrittenContexts; envFile?: string; stop: string; color: boolean }): string {
  const bold = (s: string) => (opts.color ? `\u001b[1m${s}\u001b[22m` : s);
  const lines = [
    "",
    `${bold(`ticketing platform ready at ${w.url}`)}   (gRPC, Connect and gRPC-web; ${opts.storage})`,
    "",
  ];
  if (opts.contexts) {
    lines.push(
      `  ticketctl   contexts "${opts.contexts.admin}" (admin, in use) and "${opts.contexts.customer}" (${w.customer}) in ${opts.contexts.file}`,
      "              try: npx ticketctl e2e · npx ticketctl event list · npx ticketctl shop",
    );
  }
  lines.push(
    `  shell       ${opts.envFile ? `source ${opts.envFile}   (or paste these lines)` : "paste these lines"}`,
    ...exportLines(w).map((l) => `    ${l}`),
    '  try         npx buf curl --protocol grpc --http2-prior-knowledge -H "authorization: Bearer $ADMIN_TOKEN" \\',
    '                "$TICKETING_URL/ticketing.event.v1.EventService/ListEvents"',
    `  stop        ${opts.stop}`,
    "",
  );
  return `${lines.join("\n")}\n`;
}
