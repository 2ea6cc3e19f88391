import { checkout as pb } from "@ticketing/sdk";
import { Box, Text, render, useApp } from "ink";
import { useEffect, useState } from "react";
import type { Deps } from "../deps.js";
import { money, time } from "../format.js";

const FINAL = new Set([pb.OrderStatus.PAID, pb.OrderStatus.CANCELLED, pb.OrderStatus.EXPIRED, pb.OrderStatus.FAILED]);
const COLOR: Partial<Record<pb.OrderStatus, string>> = {
  [pb.OrderStatus.PENDING_PAYMENT]: "yellow",
  [pb.OrderStatus.PAID]: "green",
  [pb.OrderStatus.CANCELLED]: "gray",
  [pb.OrderStatus.EXPIRED]: "red",
  [pb.OrderStatus.FAILED]: "red",
};

/** Seconds left until `expiresAt`, ticking every second. */
function useCountdown(expiresAt: Date | undefined): number | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!expiresAt) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [expiresAt]);
  return expiresAt ? Math.max(0, Math.ceil((expiresAt.getTime() - now) / 1000)) : undefined;
}

/** One order's live state: status, total, hold countdown, and the history of changes seen. */
export function OrderCard({ order, history }: { order: pb.Order | undefined; history: pb.OrderStatus[] }) {
  const expiresAt = order?.expiresAt && order.status === pb.OrderStatus.PENDING_PAYMENT
    ? new Date(Number(order.expiresAt.seconds) * 1000 + Math.floor(order.expiresAt.nanos / 1e6))
    : undefined;
  const left = useCountdown(expiresAt);
  if (!order) return <Text>waiting for the order…</Text>;
  const status = pb.OrderStatus[order.status];
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text>
        order <Text bold>{order.id}</Text>
      </Text>
      <Text>
        status <Text color={COLOR[order.status] ?? "white"} bold>{status}</Text>
        {order.statusReason ? <Text dimColor> ({order.statusReason})</Text> : null}
      </Text>
      <Text>total {money(order.total)}</Text>
      {left !== undefined ? (
        <Text color={left < 60 ? "red" : "yellow"}>
          held for {Math.floor(left / 60)}:{String(left % 60).padStart(2, "0")} (until {time(order.expiresAt)})
        </Text>
      ) : null}
      <Text dimColor>seen: {history.map((s) => pb.OrderStatus[s]).join(" → ")}</Text>
    </Box>
  );
}

/** Follows one order's stream until the order is final, then exits with the final state on screen. */
export function Watch({ stream }: { stream: AsyncIterable<pb.WatchOrderResponse> }) {
  const { exit } = useApp();
  const [order, setOrder] = useState<pb.Order>();
  const [history, setHistory] = useState<pb.OrderStatus[]>([]);
  const [error, setError] = useState<Error>();
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    (async () => {
      try {
        for await (const update of stream) {
          if (!update.order) continue;
          const o = update.order;
          setOrder(o);
          setHistory((h) => (h.at(-1) === o.status ? h : [...h, o.status]));
          if (FINAL.has(o.status)) break;
        }
        setEnded(true);
      } catch (err) {
        setError(err instanceof Error ? err : new Error(String(err)));
      }
    })();
  }, [stream]);
  // Exits from an effect, i.e. after React has committed the last state: exiting right after setOrder unmounted the
  // view before that update was drawn, and the screen kept PENDING_PAYMENT and "watching…" after the order was PAID.
  useEffect(() => {
    if (error) exit(error);
    else if (ended) exit();
  }, [ended, error, exit]);
  const footer = error ? (
    <Text color="red">{error.message}</Text>
  ) : ended ? (
    <Text dimColor>{order && FINAL.has(order.status) ? `final: ${pb.OrderStatus[order.status]}` : "the stream ended"}</Text>
  ) : (
    <Text dimColor>watching… Ctrl-C to stop</Text>
  );
  return (
    <Box flexDirection="column">
      <OrderCard order={order} history={history} />
      {footer}
    </Box>
  );
}

/** Renders the live view until the order is final (or the stream fails). */
export async function watchView(stream: AsyncIterable<pb.WatchOrderResponse>, deps: Deps): Promise<void> {
  const app = render(<Watch stream={stream} />, { stdout: deps.stdout as NodeJS.WriteStream, stderr: deps.stderr as NodeJS.WriteStream });
  await app.waitUntilExit();
}
