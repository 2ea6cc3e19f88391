// An in-memory stand-in for a deployment, for the CLI's command tests: no server, no network, no TTY.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { booking, checkout, createTicketingClient, event, type TicketingClient } from "@ticketing/sdk";
import { PassThrough } from "node:stream";
import type { Connection, Deps } from "../deps.js";

interface Recorded {
  method: string;
  request: unknown;
  authorization: string | null;
}

export function fakeDeployment() {
  const calls: Recorded[] = [];
  const events: event.Event[] = [];
  const record = (method: string, request: unknown, header: Headers) =>
    calls.push({ method, request, authorization: header.get("authorization") });
  const order = (status: checkout.OrderStatus) =>
    create(checkout.OrderSchema, {
      id: "00000000-0000-4000-8000-000000000001",
      userId: "alice",
      status,
      total: { amountMinor: 9100n, currency: "EUR" },
      items: [{ ticketId: "t1", ticketName: "Standing", quantity: 2, unitPrice: { amountMinor: 4550n, currency: "EUR" }, lineTotal: { amountMinor: 9100n, currency: "EUR" } }],
      createdAt: timestampFromDate(new Date("2027-01-01T10:00:00Z")),
      updatedAt: timestampFromDate(new Date("2027-01-01T10:00:00Z")),
    });
  const routes = (router: ConnectRouter) => {
    router.service(event.EventService, {
      createEvent(req, ctx) {
        record("CreateEvent", req, ctx.requestHeader);
        if (!ctx.requestHeader.get("authorization")) throw new ConnectError("missing bearer token", Code.Unauthenticated);
        const e = create(event.EventSchema, {
          id: `evt-${events.length + 1}`,
          name: req.name,
          ...(req.venue ? { venue: req.venue } : {}),
          ...(req.startsAt ? { startsAt: req.startsAt } : {}),
          ...(req.endsAt ? { endsAt: req.endsAt } : {}),
          ticketTypes: req.ticketTypes.map((t, i) => ({ id: `tt-${i + 1}`, eventId: `evt-${events.length + 1}`, name: t.name, capacity: t.capacity, ...(t.price ? { price: t.price } : {}) })),
        });
        events.push(e);
        return { event: e };
      },
      listEvents(req, ctx) {
        record("ListEvents", req, ctx.requestHeader);
        return { events, nextPageToken: "" };
      },
      getEvent(req, ctx) {
        record("GetEvent", req, ctx.requestHeader);
        const e = events.find((x) => x.id === req.eventId);
        if (!e) throw new ConnectError(`event ${req.eventId} not found`, Code.NotFound);
        return { event: e };
      },
    });
    router.service(booking.BookingService, {
      getStock(req, ctx) {
        record("GetStock", req, ctx.requestHeader);
        return { stock: { ticketId: req.ticketId, eventId: "evt-1", total: 100, held: 3, sold: 7, available: 90 } };
      },
      createStock(_req, ctx) {
        record("CreateStock", _req, ctx.requestHeader);
        throw new ConnectError("CreateStock needs role service or admin", Code.PermissionDenied);
      },
    });
    router.service(checkout.CheckoutService, {
      markOrderAsPaid(req, ctx) {
        record("MarkOrderAsPaid", req, ctx.requestHeader);
        throw new ConnectError("order is expired", Code.FailedPrecondition);
      },
      addToCart(req, ctx) {
        record("AddToCart", req, ctx.requestHeader);
        if (req.quantity < 1) {
          throw new ConnectError("quantity: must be between 1 and 100", Code.InvalidArgument);
        }
        return { cart: { userId: "alice", items: [{ ticketId: req.ticketId, ticketName: "Standing", quantity: req.quantity, unitPrice: { amountMinor: 4550n, currency: "EUR" } }], total: { amountMinor: 4550n * BigInt(req.quantity), currency: "EUR" } } };
      },
      getUserCart(_req, ctx) {
        record("GetUserCart", _req, ctx.requestHeader);
        return { cart: { userId: "alice", items: [] } };
      },
      placeOrder(req, ctx) {
        record("PlaceOrder", req, ctx.requestHeader);
        return { order: order(checkout.OrderStatus.PENDING_PAYMENT) };
      },
      async *watchOrder(req, ctx) {
        record("WatchOrder", req, ctx.requestHeader);
        yield { order: order(checkout.OrderStatus.PENDING_PAYMENT) };
        yield { order: order(checkout.OrderStatus.PAID) };
      },
    });
  };
  const client = (c: Connection): TicketingClient =>
    createTicketingClient({
      ...(c.token ? { token: c.token } : {}),
      retry: false,
      transport: ({ interceptors }) => createRouterTransport(routes, { transport: { interceptors } }),
    });
  return { calls, events, client };
}

/** Captures what a command writes. */
export function capture(tty = false) {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { stdout, stderr, stdin, out: () => out, err: () => err };
}

export function depsFor(io: ReturnType<typeof capture>, env: Record<string, string | undefined>, createClient: Deps["createClient"]): Deps {
  return { env, stdout: io.stdout, stderr: io.stderr, stdin: io.stdin, createClient };
}
