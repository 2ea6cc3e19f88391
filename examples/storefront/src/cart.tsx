import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { checkout, toTicketingError } from "@ticketing/sdk";
import { useState } from "react";
import { money } from "./api.js";
import { go } from "./router.js";

export function CartPage() {
  const cart = useQuery(checkout.CheckoutService.method.getUserCart, {});
  const queryClient = useQueryClient();
  const [error, setError] = useState("");
  const update = useMutation(checkout.CheckoutService.method.updateCart, {
    onSuccess: () => void queryClient.invalidateQueries(),
    onError: (err) => setError(toTicketingError(err).message),
  });
  const place = useMutation(checkout.CheckoutService.method.placeOrder, {
    onSuccess: (res) => {
      void queryClient.invalidateQueries();
      if (res.order) go(`orders/${res.order.id}`);
    },
    onError: (err) => setError(toTicketingError(err).message),
  });
  if (cart.isPending) return <p role="status">Loading your cart…</p>;
  if (cart.error) return <p role="alert">Could not load your cart: {cart.error.message}</p>;
  const items = cart.data.cart?.items ?? [];
  return (
    <>
      <h1>Your cart</h1>
      {items.length === 0 ? (
        <p>
          Your cart is empty. <a href="#/">Find an event</a>.
        </p>
      ) : (
        <>
          <ul className="lines">
            {items.map((i) => (
              <li key={i.ticketId}>
                <span>
                  {i.ticketName} · {money(i.unitPrice)}
                </span>
                <label htmlFor={`line-${i.ticketId}`}>Quantity</label>
                <input
                  id={`line-${i.ticketId}`}
                  type="number"
                  min={0}
                  max={100}
                  value={i.quantity}
                  onChange={(e) => update.mutate({ ticketId: i.ticketId, quantity: Math.max(0, Number(e.target.value) || 0) })}
                />
                <button type="button" className="link" onClick={() => update.mutate({ ticketId: i.ticketId, quantity: 0 })}>
                  Remove<span className="visually-hidden"> {i.ticketName}</span>
                </button>
              </li>
            ))}
          </ul>
          <p className="total">Total: {money(cart.data.cart?.total)}</p>
          <button type="button" onClick={() => place.mutate({})} disabled={place.isPending}>
            Place order
          </button>
        </>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
