// A small in-memory stand-in for the four services, for the SDK's own tests. It records what it receives so tests
// can assert on headers and idempotency keys, and fails on demand to exercise retries and error details.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  BookingService,
  InsufficientStockSchema,
  StockSchema,
} from "../gen/ticketing/booking/v1/booking_pb.js";
import {
  CheckoutService,
  OrderSchema,
  OrderStatus,
  type Order,
} from "../gen/ticketing/checkout/v1/checkout_pb.js";
import { BadRequestSchema } from "../gen/ticketing/common/v1/errors_pb.js";
import { EventSchema, EventService, type Event } from "../gen/ticketing/event/v1/event_pb.js";
import { NotificationService } from "../gen/ticketing/notification/v1/notification_pb.js";

/** Every ticket type of the fake has this many tickets; asking for more is RESOURCE_EXHAUSTED. */
const STOCK_PER_TICKET = 10;

interface ReceivedCall {
  method: string;
  authorization: string | null;
  idempotencyKey: string | undefined;
}

/** Knobs and records of a fake platform instance. */
export interface FakePlatform {
  routes: (router: ConnectRouter) => void;
  calls: ReceivedCall[];
  /** The next N calls of this method fail with UNAVAILABLE before one succeeds. */
  failNext(method: string, times: number): void;
}

export function createFakePlatform(): FakePlatform {
  const calls: ReceivedCall[] = [];
  const failures = new Map<string, number>();
  const events = new Map<string, Event>();
  const orders = new Map<string, Order>();
  const carts = new Map<string, { ticketId: string; quantity: number; unitPrice: bigint }[]>();
  let nextOrder = 1;

  const findTicket = (ticketId: string) => {
    for (const event of events.values()) {
      const ticketType = event.ticketTypes.find((t) => t.id === ticketId);
      if (ticketType) return ticketType;
    }
    throw new ConnectError(`ticket ${ticketId} not found`, Code.NotFound);
  };
  const cartOf = (ctx: HandlerContext) => {
    const owner = ctx.requestHeader.get("authorization") ?? "";
    let cart = carts.get(owner);
    if (!cart) carts.set(owner, (cart = []));
    return cart;
  };

  const record = (method: string, ctx: HandlerContext, idempotencyKey?: string) => {
    calls.push({ method, authorization: ctx.requestHeader.get("authorization"), idempotencyKey });
    const left = failures.get(method) ?? 0;
    if (left > 0) {
      failures.set(method, left - 1);
      throw new ConnectError("fake outage", Code.Unavailable);
    }
  };
  const requireToken = (ctx: HandlerContext) => {
    if (!ctx.requestHeader.get("authorization")?.startsWith("Bearer ")) {
      throw new ConnectError("missing bearer token", Code.Unauthenticated);
    }
  };

  const routes = (router: ConnectRouter) => {
    router.service(EventService, {
      createEvent(req, ctx) {
        record("CreateEvent", ctx, req.idempotencyKey);
        requireToken(ctx);
        const violations = req.ticketTypes.flatMap((t, i) =>
          t.capacity > 0 ? [] : [{ field: `ticket_types[${i}].capacity`, description: "must be greater than 0" }],
        );
        if (violations.length > 0) {
          throw new ConnectError("invalid event", Code.InvalidArgument, undefined, [
            { desc: BadRequestSchema, value: { fieldViolations: violations } },
          ]);
        }
        const id = `evt-${events.size + 1}`;
        const event = create(EventSchema, {
          id,
          name: req.name,
          description: req.description,
          ticketTypes: req.ticketTypes.map((t, i) => ({
            id: `${id}-tt-${i + 1}`,
            eventId: id,
            name: t.name,
            capacity: t.capacity,
            ...(t.price ? { price: t.price } : {}),
          })),
          ...(req.venue ? { venue: req.venue } : {}),
          ...(req.startsAt ? { startsAt: req.startsAt } : {}),
          ...(req.endsAt ? { endsAt: req.endsAt } : {}),
          createdAt: timestampFromDate(new Date()),
        });
        events.set(id, event);
        return { event };
      },
      getEvent(req, ctx) {
        record("GetEvent", ctx);
        const event = events.get(req.eventId);
        if (!event) throw new ConnectError(`event ${req.eventId} not found`, Code.NotFound);
        return { event };
      },
      listEvents(_req, ctx) {
        record("ListEvents", ctx);
        return { events: [...events.values()], nextPageToken: "" };
      },
      getTicket(req, ctx) {
        record("GetTicket", ctx);
        return { ticketType: findTicket(req.ticketId) };
      },
    });
    router.service(CheckoutService, {
      placeOrder(req, ctx) {
        record("PlaceOrder", ctx, req.idempotencyKey);
        requireToken(ctx);
        const cart = cartOf(ctx);
        const amountMinor = cart.reduce((sum, line) => sum + line.unitPrice * BigInt(line.quantity), 0n);
        const id = `ord-${nextOrder++}`;
        const order = create(OrderSchema, {
          id,
          status: OrderStatus.PENDING_PAYMENT,
          userId: "from-token",
          total: { amountMinor, currency: "EUR" },
          expiresAt: timestampFromDate(new Date(Date.now() + 15 * 60_000)),
        });
        orders.set(id, order);
        cart.length = 0;
        return { order };
      },
      markOrderAsPaid(req, ctx) {
        record("MarkOrderAsPaid", ctx, req.idempotencyKey);
        throw new ConnectError("order is expired", Code.FailedPrecondition);
      },
      addToCart(req, ctx) {
        record("AddToCart", ctx, req.idempotencyKey);
        requireToken(ctx);
        if (req.quantity > STOCK_PER_TICKET) {
          throw new ConnectError("not enough tickets", Code.ResourceExhausted, undefined, [
            {
              desc: InsufficientStockSchema,
              value: { shortages: [{ ticketId: req.ticketId, requested: req.quantity, available: STOCK_PER_TICKET }] },
            },
          ]);
        }
        const ticket = findTicket(req.ticketId);
        const cart = cartOf(ctx);
        cart.push({ ticketId: req.ticketId, quantity: req.quantity, unitPrice: ticket.price?.amountMinor ?? 0n });
        return {};
      },
      async *watchOrder(req, ctx) {
        record("WatchOrder", ctx);
        const order = orders.get(req.orderId);
        if (!order) throw new ConnectError(`order ${req.orderId} not found`, Code.NotFound);
        for (const status of [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID]) {
          yield { order: { ...order, status } };
        }
      },
    });
    router.service(BookingService, {
      getStock(req, ctx) {
        record("GetStock", ctx);
        return { stock: create(StockSchema, { ticketId: req.ticketId, total: 10, available: 10 }) };
      },
    });
    router.service(NotificationService, {
      listNotifications(_req, ctx) {
        record("ListNotifications", ctx);
        return { notifications: [], nextPageToken: "" };
      },
    });
  };

  return {
    routes,
    calls,
    failNext(method, times) {
      failures.set(method, times);
    },
  };
}
