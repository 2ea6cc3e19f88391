import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { booking, checkout, event, toTicketingError } from "@ticketing/sdk";
import { useState } from "react";
import { money } from "./api.js";

const when = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "";

export function EventList() {
  const events = useQuery(event.EventService.method.listEvents, { pageSize: 50 });
  if (events.isPending) return <p role="status">Loading events…</p>;
  if (events.error) return <p role="alert">Could not load the events: {events.error.message}</p>;
  return (
    <>
      <h1>Events</h1>
      {events.data.events.length === 0 && <p>Nothing on sale yet.</p>}
      <ul className="cards">
        {events.data.events.map((e) => (
          <li key={e.id}>
            <a href={`#/events/${e.id}`}>
              <strong>{e.name}</strong>
              <span>
                {e.venue?.name}, {e.venue?.location} · {when(e.startsAt)}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}

export function EventPage({ eventId }: { eventId: string }) {
  const found = useQuery(event.EventService.method.getEvent, { eventId });
  // Availability changes as others buy: polled every two seconds while the page is open.
  const stocks = useQuery(booking.BookingService.method.getStocks, { eventId }, { refetchInterval: 2000 });
  if (found.isPending) return <p role="status">Loading…</p>;
  if (found.error) return <p role="alert">Could not load the event: {found.error.message}</p>;
  const e = found.data.event;
  if (!e) return <p role="alert">No such event.</p>;
  const available = new Map(stocks.data?.stocks.map((s) => [s.ticketId, s.available]) ?? []);
  return (
    <>
      <p>
        <a href="#/">← All events</a>
      </p>
      <h1>{e.name}</h1>
      <p>
        {e.venue?.name}, {e.venue?.location} · {when(e.startsAt)}
      </p>
      {e.description && <p>{e.description}</p>}
      <h2>Tickets</h2>
      <ul className="ticket-types">
        {e.ticketTypes.map((t) => (
          <TicketType key={t.id} ticket={t} available={available.get(t.id)} />
        ))}
      </ul>
    </>
  );
}

function TicketType({ ticket, available }: { ticket: event.TicketType; available: number | undefined }) {
  const [quantity, setQuantity] = useState(1);
  const [note, setNote] = useState("");
  const queryClient = useQueryClient();
  const add = useMutation(checkout.CheckoutService.method.addToCart, {
    onSuccess: () => {
      setNote(`Added ${quantity} to your cart.`);
      void queryClient.invalidateQueries();
    },
    onError: (err) => setNote(toTicketingError(err).message),
  });
  const soldOut = available === 0;
  const inputId = `qty-${ticket.id}`;
  return (
    <li className="ticket-type" aria-labelledby={`name-${ticket.id}`}>
      <div>
        <strong id={`name-${ticket.id}`}>{ticket.name}</strong> · {money(ticket.price)}
        <div className={soldOut ? "availability sold-out" : "availability"} aria-live="polite">
          {available === undefined ? "…" : soldOut ? "Sold out" : `${available} left`}
        </div>
      </div>
      {!soldOut && (
        <form
          onSubmit={(ev) => {
            ev.preventDefault();
            add.mutate({ ticketId: ticket.id, quantity });
          }}
        >
          <label htmlFor={inputId}>Quantity</label>
          <input
            id={inputId}
            type="number"
            min={1}
            max={Math.min(10, available ?? 10)}
            value={quantity}
            onChange={(ev) => setQuantity(Math.max(1, Number(ev.target.value) || 1))}
          />
          <button type="submit" disabled={add.isPending}>
            Add to cart
          </button>
        </form>
      )}
      {note && <p role="status">{note}</p>}
    </li>
  );
}
