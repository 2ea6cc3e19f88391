import type { Command } from "commander";
import { decodeJwt } from "jose";
import type { Deps, Run } from "../../deps.js";
import { configPath, loadContexts } from "../../contexts.js";
import { table } from "../../output.js";
import { act, examples } from "../shared.js";

/** Who a token speaks for, read from its claims without verifying it (only the server can): "admin", "customer alice". */
function holder(token: string | undefined): { role?: string; subject?: string; expired?: boolean } {
  if (!token) return {};
  try {
    const claims = decodeJwt(token);
    return {
      ...(typeof claims["role"] === "string" ? { role: claims["role"] } : {}),
      ...(claims.sub ? { subject: claims.sub } : {}),
      ...(claims.exp !== undefined && claims.exp * 1000 < Date.now() ? { expired: true } : {}),
    };
  } catch {
    return {};
  }
}

async function runContextList(r: Run): Promise<void> {
  const file = await loadContexts(configPath(r.deps.env));
  const rows = Object.entries(file.contexts).map(([name, c]) => ({
    name,
    current: name === file.current,
    server: c.server,
    protocol: c.protocol ?? "grpc",
    token: Boolean(c.token),
    ...holder(c.token),
  }));
  r.out.data(rows, () =>
    rows.length === 0
      ? "no contexts; add one with `ticketctl context add NAME --server URL --token JWT`"
      : table(rows, [
          { header: "  NAME", value: (c) => `${c.current ? "*" : " "} ${c.name}` },
          { header: "SERVER", value: (c) => c.server },
          { header: "PROTOCOL", value: (c) => c.protocol },
          {
            header: "TOKEN",
            value: (c) => {
              if (!c.token) return "(none)";
              if (!c.role) return "set";
              const who = c.subject && c.subject !== c.role ? `${c.role} ${c.subject}` : c.role;
              return c.expired ? `${who} (expired)` : who;
            },
          },
        ]),
  );
}

export function register(parent: Command, deps: Deps): void {
  parent.command("list").description("List saved contexts (* = in use)").addHelpText("after", examples("ticketctl context list")).action(act(deps, runContextList));
}
