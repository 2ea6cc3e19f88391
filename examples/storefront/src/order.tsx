import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { checkout, payment, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { useEffect, useState } from "react";
import { money } from "./api.js";
import { Tickets } from "./tickets.js";

const LABELS: Record<number, string> = {
  [checkout.OrderStatus.PLACING]: "PLACING",
  [checkout.OrderStatus.PENDING_PAYMENT]: "AWAITING PAYMENT",
  [checkout.OrderStatus.PAID]: "PAID",
  [checkout.OrderStatus.CANCELLED]: "CANCELLED",
  [checkout.OrderStatus.EXPIRED]: "EXPIRED",
  [checkout.OrderStatus.FAILED]: "FAILED",
  [checkout.OrderStatus.REFUNDED]: "REFUNDED",
};

/** The order as WatchOrder streams it: every change arrives as it happens, reconnecting if the stream drops. */
function useWatchedOrder(client: TicketingClient, orderId: string) {
  const [order, setOrder] = useState<checkout.Order>();
  const [error, setError] = useState("");
  useEffect(() => {
    const abort = new AbortController();
    void (async () => {
      for (let attempt = 0; !abort.signal.aborted; attempt++) {
        try {
          for await (const res of client.checkout.watchOrder({ orderId }, { signal: abort.signal, timeoutMs: 30 * 60_000 })) {
            if (res.order) setOrder(res.order);
            setError("");
          }
          return; // a final state ends the stream
        } catch (err) {
          if (abort.signal.aborted) return;
          setError(toTicketingError(err).message);
          await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** attempt, 10_000)));
        }
      }
    })();
    return () => abort.abort();
  }, [client, orderId]);
  return { order, error };
}

function Countdown({ until }: { until: Date }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((until.getTime() - now) / 1000));
  const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  return (
    <p className="countdown">
      Your tickets are held for{" "}
      <span role="timer" aria-label={`${Math.floor(left / 60)} minutes ${left % 60} seconds left`}>
        {text}
      </span>
      {left === 0 && " — the hold is ending"}
    </p>
  );
}

export function OrderPage({ orderId, client }: { orderId: string; client: TicketingClient }) {
  const { order, error } = useWatchedOrder(client, orderId);
  const status = order?.status ?? checkout.OrderStatus.UNSPECIFIED;
  const pending = status === checkout.OrderStatus.PENDING_PAYMENT;
  const intent = useQuery(payment.PaymentService.method.getPaymentIntent, { orderId }, { retry: false, enabled: order !== undefined, refetchInterval: pending ? 3000 : false });
  const [payError, setPayError] = useState("");
  const pay = useMutation(payment.PaymentService.method.createPaymentIntent, {
    onSuccess: (res) => {
      if (res.paymentIntent) window.location.assign(res.paymentIntent.checkoutUrl);
    },
    onError: (err) => setPayError(toTicketingError(err).message),
  });
  if (!order) return error ? <p role="alert">{error}</p> : <p role="status">Loading your order…</p>;
  const last = intent.data?.paymentIntent;
  return (
    <>
      <h1>Order {order.id.slice(0, 8)}</h1>
      <p className={`status status-${LABELS[status]?.toLowerCase().replace(" ", "-")}`} role="status" aria-live="polite">
        Status: <strong data-testid="order-status">{LABELS[status] ?? "…"}</strong>
      </p>
      <ul className="lines">
        {order.items.map((i) => (
          <li key={i.ticketId}>
            {i.quantity} × {i.ticketName} · {money(i.lineTotal)}
          </li>
        ))}
      </ul>
      <p className="total">Total: {money(order.total)}</p>
      {pending && order.expiresAt && <Countdown until={timestampDate(order.expiresAt)} />}
      {pending && last?.status === payment.PaymentStatus.FAILED && (
        <p role="alert" className="error">
          Your last payment attempt failed: {last.statusReason.replace(/\.$/, "")}. You can try again.
        </p>
      )}
      {pending && (
        <button
          type="button"
          disabled={pay.isPending}
          onClick={() => pay.mutate({ orderId, returnUrl: `${window.location.origin}${window.location.pathname}#/orders/${orderId}` })}
        >
          Pay {money(order.total)}
        </button>
      )}
      {status === checkout.OrderStatus.PAID && <p className="ok">Thank you! Your tickets are confirmed.</p>}
      {status === checkout.OrderStatus.PAID && <Tickets orderId={orderId} expected={order.items.reduce((n, i) => n + i.quantity, 0)} />}
      {status === checkout.OrderStatus.EXPIRED && <p>The hold ran out before payment; the tickets went back on sale.</p>}
      {last?.status === payment.PaymentStatus.REFUNDED && <p>{last.statusReason}</p>}
      {order.statusReason && !pending && <p className="note">{order.statusReason}</p>}
      {(payError || error) && (
        <p role="alert" className="error">
          {payError || error}
        </p>
      )}
      <p>
        <a href="#/">Back to the events</a>
      </p>
    </>
  );
}
