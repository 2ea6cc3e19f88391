import { toJson } from "@bufbuild/protobuf";
import { checkout as pb } from "@ticketing/sdk";
import type { Command } from "commander";
import type { Deps, Run } from "../../deps.js";
import { time } from "../../format.js";
import { act, examples } from "../shared.js";
import { status } from "./render.js";

/** Streams WatchOrder: an ink view on a terminal, else one line (or JSON object) per change. */
async function runOrderWatch(r: Run, orderId: string): Promise<void> {
  const client = await r.client();
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  try {
    const stream = client.checkout.watchOrder({ orderId }, { signal: abort.signal, timeoutMs: 0 });
    if (r.out.rich && r.deps.stdin.isTTY) {
      const { watchView } = await import("../../ui/watch.js");
      await watchView(stream, r.deps);
      return;
    }
    for await (const update of stream) {
      const o = update.order;
      if (r.out.json) r.deps.stdout.write(`${JSON.stringify(o ? toJson(pb.OrderSchema, o) : null)}\n`);
      else r.deps.stdout.write(`${time(o?.updatedAt)}  ${status(o)}${o?.statusReason ? `  ${o.statusReason}` : ""}\n`);
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    process.off("SIGINT", stop);
  }
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("watch")
    .description("Follow an order live until it is paid, cancelled, expired or failed")
    .argument("<order-id>")
    .addHelpText("after", examples("ticketctl order watch 9d2e…", "ticketctl order watch 9d2e… --json   # one JSON object per change"))
    .action(act(deps, runOrderWatch));
}
