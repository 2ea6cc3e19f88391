import { useQuery } from "@connectrpc/connect-query";
import { checkout, type TicketingClient } from "@ticketing/sdk";
import type { Session } from "./api.js";
import { CartPage } from "./cart.js";
import { EventList, EventPage } from "./events.js";
import { OrderPage } from "./order.js";
import { useRoute } from "./router.js";

export function Shop({ client, session, onSignOut }: { client: TicketingClient; session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const cart = useQuery(checkout.CheckoutService.method.getUserCart, {});
  const count = cart.data?.cart?.items.reduce((n, i) => n + i.quantity, 0) ?? 0;
  const [page, id] = route;
  return (
    <>
      <header>
        <nav aria-label="Main">
          <a href="#/" className="brand">
            Tickets
          </a>
          <a href="#/cart">Cart ({count})</a>
          <span className="who">
            {session.sub}{" "}
            <button type="button" className="link" onClick={onSignOut}>
              Sign out
            </button>
          </span>
        </nav>
      </header>
      <main>
        {page === "events" && id ? (
          <EventPage eventId={id} />
        ) : page === "cart" ? (
          <CartPage />
        ) : page === "orders" && id ? (
          <OrderPage orderId={id} client={client} />
        ) : (
          <EventList />
        )}
      </main>
    </>
  );
}
