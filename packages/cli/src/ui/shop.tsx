import { Code, ConnectError, booking as bookingPb, checkout as pb, event as eventPb, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { Box, Text, render, useApp, useInput } from "ink";
import { useCallback, useEffect, useState } from "react";
import type { Deps } from "../deps.js";
import { money, plural } from "../format.js";
import { PaidTickets } from "./tickets.js";
import { OrderCard } from "./watch.js";

type Screen =
  | { kind: "events" }
  | { kind: "tickets"; event: eventPb.Event }
  | { kind: "cart" }
  | { kind: "order"; orderId: string };

const FINAL = new Set([pb.OrderStatus.PAID, pb.OrderStatus.CANCELLED, pb.OrderStatus.EXPIRED, pb.OrderStatus.FAILED]);

const describe = (err: unknown) => {
  const e = toTicketingError(err);
  if (e.code === Code.PermissionDenied) return "payment needs an admin (or payment-provider) token; ask the box office";
  const short = e.details.insufficientStock?.shortages.map((s) => `${s.available} left of what you asked for`).join(", ");
  return `${e.codeName}: ${e.message}${short ? ` — ${short}` : ""}`;
};

/**
 * The interactive shop: browse events, pick tickets, review the cart, place, pay and follow the order live. `payer`
 * marks orders paid when the buyer may not (a customer): it plays the payment provider.
 */
export function Shop({ client, payer }: { client: TicketingClient; payer?: TicketingClient | undefined }) {
  const { exit } = useApp();
  const [screen, setScreen] = useState<Screen>({ kind: "events" });
  const [events, setEvents] = useState<eventPb.Event[]>();
  const [stocks, setStocks] = useState<Map<string, bookingPb.Stock>>(new Map());
  const [cart, setCart] = useState<pb.Cart>();
  const [order, setOrder] = useState<pb.Order>();
  const [history, setHistory] = useState<pb.OrderStatus[]>([]);
  const [cursor, setCursor] = useState(0);
  const [quantity, setQuantity] = useState(1);
  const [message, setMessage] = useState<string>();

  const refreshCart = useCallback(async () => setCart((await client.checkout.getUserCart({})).cart), [client]);

  useEffect(() => {
    client.events.listEvents({ pageSize: 50 }).then((r) => setEvents(r.events), (e: unknown) => setMessage(describe(e)));
    refreshCart().catch(() => undefined);
  }, [client, refreshCart]);

  useEffect(() => {
    if (screen.kind !== "tickets") return;
    client.bookings.getStocks({ eventId: screen.event.id }).then(
      (r) => setStocks(new Map(r.stocks.map((s) => [s.ticketId, s]))),
      () => setStocks(new Map()),
    );
  }, [client, screen]);

  useEffect(() => {
    if (screen.kind !== "order") return;
    const abort = new AbortController();
    (async () => {
      try {
        for await (const u of client.checkout.watchOrder({ orderId: screen.orderId }, { signal: abort.signal, timeoutMs: 0 })) {
          if (!u.order) continue;
          const o = u.order;
          setOrder(o);
          setHistory((h) => (h.at(-1) === o.status ? h : [...h, o.status]));
          if (FINAL.has(o.status)) break;
        }
      } catch (err) {
        if (!abort.signal.aborted && !(err instanceof ConnectError && err.code === Code.Canceled)) setMessage(describe(err));
      }
    })();
    return () => abort.abort();
  }, [client, screen]);

  const act = (work: () => Promise<void>) => {
    setMessage(undefined);
    work().catch((err: unknown) => setMessage(describe(err)));
  };

  useInput((input, key) => {
    if (input === "q" || (key.ctrl && input === "c")) return exit();
    if (input === "c" && screen.kind !== "order") {
      setCursor(0);
      return act(async () => {
        await refreshCart();
        setScreen({ kind: "cart" });
      });
    }
    if (key.escape || input === "b") {
      setCursor(0);
      return setScreen({ kind: "events" });
    }
    const rows = screen.kind === "events" ? (events?.length ?? 0) : screen.kind === "tickets" ? screen.event.ticketTypes.length : 0;
    if (key.upArrow) setCursor((c) => Math.max(0, c - 1));
    if (key.downArrow) setCursor((c) => Math.min(Math.max(0, rows - 1), c + 1));
    if (screen.kind === "events" && key.return && events?.[cursor]) {
      setScreen({ kind: "tickets", event: events[cursor] });
      setCursor(0);
      setQuantity(1);
    } else if (screen.kind === "tickets") {
      if (key.rightArrow || input === "+") setQuantity((q) => Math.min(10, q + 1));
      if (key.leftArrow || input === "-") setQuantity((q) => Math.max(1, q - 1));
      const tt = screen.event.ticketTypes[cursor];
      if ((key.return || input === "a") && tt) {
        act(async () => {
          setCart((await client.checkout.addToCart({ ticketId: tt.id, quantity })).cart);
          setMessage(`added ${quantity} × ${tt.name}`);
        });
      }
    } else if (screen.kind === "cart" && input === "p") {
      act(async () => {
        const { order: placed } = await client.checkout.placeOrder({});
        setOrder(placed);
        setHistory(placed ? [placed.status] : []);
        setScreen({ kind: "order", orderId: placed!.id });
      });
    } else if (screen.kind === "order" && order) {
      if (input === "y") act(async () => void (await (payer ?? client).checkout.markOrderAsPaid({ orderId: order.id, paymentReference: `shop-${Date.now()}` })));
      if (input === "x") act(async () => void (await client.checkout.cancelOrder({ orderId: order.id, reason: "cancelled in the shop" })));
    }
  });

  return (
    <Box flexDirection="column">
      <Text bold color="cyan">ticketctl shop</Text>
      {screen.kind === "events" ? (
        <Box flexDirection="column">
          <Text dimColor>↑/↓ choose · enter open · c cart · q quit</Text>
          {events === undefined ? <Text>loading events…</Text> : events.length === 0 ? <Text>no events on sale</Text> : null}
          {events?.map((e, i) => (
            <Text key={e.id} inverse={i === cursor}>
              {e.name}{e.venue?.name ? ` — ${e.venue.name}` : ""} ({plural(e.ticketTypes.length, "ticket type")})
            </Text>
          ))}
        </Box>
      ) : null}
      {screen.kind === "tickets" ? (
        <Box flexDirection="column">
          <Text bold>{screen.event.name}</Text>
          <Text dimColor>↑/↓ choose · ←/→ quantity · enter add {quantity} · c cart · b back</Text>
          {screen.event.ticketTypes.map((t, i) => (
            <Text key={t.id} inverse={i === cursor}>
              {t.name} {money(t.price)} — {stocks.get(t.id)?.available ?? "?"} left{i === cursor ? `  × ${quantity}` : ""}
            </Text>
          ))}
        </Box>
      ) : null}
      {screen.kind === "cart" ? (
        <Box flexDirection="column">
          <Text bold>your cart</Text>
          {(cart?.items ?? []).length === 0 ? <Text>empty</Text> : null}
          {cart?.items.map((i) => (
            <Text key={i.ticketId}>
              {i.quantity} × {i.ticketName} @ {money(i.unitPrice)}
            </Text>
          ))}
          {cart?.total ? <Text bold>total {money(cart.total)}</Text> : null}
          <Text dimColor>p place the order · b back</Text>
        </Box>
      ) : null}
      {screen.kind === "order" ? (
        <Box flexDirection="column">
          <OrderCard order={order} history={history} />
          {order?.status === pb.OrderStatus.PAID ? <PaidTickets client={client} orderId={order.id} /> : null}
          <Text dimColor>{order && !FINAL.has(order.status) ? "y pay · x cancel · " : ""}b back · q quit</Text>
        </Box>
      ) : null}
      {message ? <Text color="yellow">{message}</Text> : null}
    </Box>
  );
}

/** Runs the shop until the user quits. */
export async function shopView(client: TicketingClient, payer: TicketingClient | undefined, deps: Deps): Promise<void> {
  const app = render(<Shop client={client} payer={payer} />, {
    stdout: deps.stdout as NodeJS.WriteStream,
    stderr: deps.stderr as NodeJS.WriteStream,
    stdin: deps.stdin as NodeJS.ReadStream,
  });
  await app.waitUntilExit();
}
