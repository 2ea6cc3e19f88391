import { admission, booking, checkout, createTicketingClient, event, notification, toTicketingError, type TicketingClient } from "@ticketing/sdk";
import { SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenAuthority } from "./platform/auth.js";
import { buyPaidTickets, createEventWith, eventually, startTestPlatform, type TestPlatform } from "./testing/harness.js";

// The authorization matrix: every RPC of the five services × every kind of caller, over real gRPC on a running
// server, against ONE table of expected outcomes (MATRIX below). A new RPC without a row fails the test, and so does
// any cell the servers answer otherwise. The roles here are the ones README.md's table, RPC_ROLES and CONFINED_ROLES
// state: door staff (`gate`) reach CheckIn, UploadOfflineScans and GetVerificationKeys and nothing else.

const CALLERS = ["none", "garbage", "wrongSecret", "expired", "wrongIssuer", "customerA", "customerB", "admin", "service", "gate"] as const;
type CallerKind = (typeof CALLERS)[number];
type Outcome = "OK" | "UNAUTHENTICATED" | "PERMISSION_DENIED" | "NOT_FOUND";

/** What every row expects from the five kinds of token that are not valid: refused before anything else. */
const BAD_TOKENS = { none: "UNAUTHENTICATED", garbage: "UNAUTHENTICATED", wrongSecret: "UNAUTHENTICATED", expired: "UNAUTHENTICATED", wrongIssuer: "UNAUTHENTICATED" } as const;
/** Every authenticated caller but door staff, who are confined to the gate's three RPCs. */
const EVERYONE = { ...BAD_TOKENS, customerA: "OK", customerB: "OK", admin: "OK", service: "OK", gate: "PERMISSION_DENIED" } as const;
const STAFF = { ...BAD_TOKENS, customerA: "PERMISSION_DENIED", customerB: "PERMISSION_DENIED", admin: "OK", service: "OK", gate: "PERMISSION_DENIED" } as const;
const ADMIN_ONLY = { ...BAD_TOKENS, customerA: "PERMISSION_DENIED", customerB: "PERMISSION_DENIED", admin: "OK", service: "PERMISSION_DENIED", gate: "PERMISSION_DENIED" } as const;
/** Customer A's own order or ticket: B is told it does not exist. */
const OWNER = { ...BAD_TOKENS, customerA: "OK", customerB: "NOT_FOUND", admin: "OK", service: "OK", gate: "PERMISSION_DENIED" } as const;
/** What a gate does: scan codes and read the keys. */
const AT_THE_GATE = { ...BAD_TOKENS, customerA: "PERMISSION_DENIED", customerB: "PERMISSION_DENIED", admin: "OK", service: "PERMISSION_DENIED", gate: "OK" } as const;

/** What a cell needs: the platform's fixtures, and the client of the caller being tried. */
interface Cell {
  fx: Fixtures;
  client: TicketingClient;
}
interface Fixtures {
  ticketId: string;
  eventId: string;
  /** A PENDING_PAYMENT order of customer A that has a notification. */
  orderOfA: string;
  /** A fresh PENDING_PAYMENT order of customer A, for calls that change it. */
  freshOrderOfA(): Promise<string>;
  /** A fresh order id with a hold, for booking calls that change holds. */
  freshHold(): Promise<string>;
  /** A PAID order of customer A with two tickets: the first is scanned, the second revoked. */
  paidOrderOfA: string;
  scannedTicketOfA: string;
  revokedTicketOfA: string;
  /** The code of `scannedTicketOfA`. */
  codeOfA: string;
  /** Another PAID order of customer A, for RevokeOrderTickets. */
  revokedOrderOfA: string;
}

type Row = { call: (cell: Cell) => Promise<unknown> } & Record<CallerKind, Outcome>;

const MATRIX: Record<string, Row> = {
  "EventService/CreateEvent": {
    ...ADMIN_ONLY,
    call: ({ client }) =>
      client.events.createEvent({
        name: "Matrix",
        startsAt: { seconds: 2_000_000_000n },
        endsAt: { seconds: 2_000_003_600n },
        ticketTypes: [{ name: "GA", price: { amountMinor: 100n, currency: "EUR" }, capacity: 1 }],
      }),
  },
  "EventService/GetEvent": { ...EVERYONE, call: ({ client, fx }) => client.events.getEvent({ eventId: fx.eventId }) },
  "EventService/ListEvents": { ...EVERYONE, call: ({ client }) => client.events.listEvents({}) },
  "EventService/GetTicket": { ...EVERYONE, call: ({ client, fx }) => client.events.getTicket({ ticketId: fx.ticketId }) },

  "BookingService/CreateBooking": {
    ...STAFF,
    call: ({ client, fx }) => client.bookings.createBooking({ orderId: randomUUID(), items: [{ ticketId: fx.ticketId, quantity: 1 }] }),
  },
  "BookingService/GetBookings": { ...STAFF, call: ({ client }) => client.bookings.getBookings({}) },
  "BookingService/ConfirmBookings": {
    ...STAFF,
    call: async ({ client, fx }) => client.bookings.confirmBookings({ orderId: await fx.freshHold(), paymentReference: "matrix" }),
  },
  "BookingService/ExpireBookings": { ...ADMIN_ONLY, call: ({ client }) => client.bookings.expireBookings({ allDue: true }) },
  "BookingService/DeleteOrderBookings": {
    ...STAFF,
    call: async ({ client, fx }) => client.bookings.deleteOrderBookings({ orderId: await fx.freshHold() }),
  },
  "BookingService/CreateStock": {
    ...STAFF,
    call: ({ client, fx }) => client.bookings.createStock({ ticketId: randomUUID(), eventId: fx.eventId, total: 1 }),
  },
  "BookingService/GetStocks": { ...EVERYONE, call: ({ client, fx }) => client.bookings.getStocks({ eventId: fx.eventId }) },
  "BookingService/GetStock": { ...EVERYONE, call: ({ client, fx }) => client.bookings.getStock({ ticketId: fx.ticketId }) },
  "BookingService/DeleteStock": {
    ...STAFF,
    call: async ({ client, fx }) => {
      const ticketId = randomUUID();
      await admin.bookings.createStock({ ticketId, eventId: fx.eventId, total: 1 });
      return client.bookings.deleteStock({ ticketId });
    },
  },

  "CheckoutService/GetOrder": { ...OWNER, call: ({ client, fx }) => client.checkout.getOrder({ orderId: fx.orderOfA }) },
  "CheckoutService/ListOrders": { ...EVERYONE, call: ({ client }) => client.checkout.listOrders({}) },
  "CheckoutService/GetUserCart": { ...EVERYONE, call: ({ client }) => client.checkout.getUserCart({}) },
  "CheckoutService/AddToCart": { ...EVERYONE, call: ({ client, fx }) => client.checkout.addToCart({ ticketId: fx.ticketId, quantity: 1 }) },
  "CheckoutService/UpdateCart": { ...EVERYONE, call: ({ client, fx }) => client.checkout.updateCart({ ticketId: fx.ticketId, quantity: 0 }) },
  "CheckoutService/PlaceOrder": {
    ...EVERYONE,
    call: async ({ client, fx }) => {
      // A caller refused here is refused at AddToCart too, with the same code: the cart stays empty.
      await client.checkout.addToCart({ ticketId: fx.ticketId, quantity: 1 });
      return client.checkout.placeOrder({});
    },
  },
  "CheckoutService/MarkOrderAsPaid": {
    ...STAFF,
    call: async ({ client, fx }) => client.checkout.markOrderAsPaid({ orderId: await fx.freshOrderOfA(), paymentReference: "matrix" }),
  },
  "CheckoutService/MarkOrderAsRefunded": {
    ...STAFF,
    call: async ({ client, fx }) => {
      const orderId = await fx.freshOrderOfA();
      await admin.checkout.markOrderAsPaid({ orderId, paymentReference: "matrix" });
      return client.checkout.markOrderAsRefunded({ orderId, refundReference: "matrix-refund" });
    },
  },
  "CheckoutService/CancelOrder": { ...OWNER, call: async ({ client, fx }) => client.checkout.cancelOrder({ orderId: await fx.freshOrderOfA() }) },
  "CheckoutService/WatchOrder": {
    ...OWNER,
    call: async ({ client, fx }) => {
      const abort = new AbortController();
      try {
        for await (const update of client.checkout.watchOrder({ orderId: fx.orderOfA }, { signal: abort.signal })) return update;
      } finally {
        abort.abort();
      }
      throw new Error("WatchOrder ended without the order");
    },
  },

  "NotificationService/ListNotifications": {
    ...OWNER,
    call: ({ client, fx }) => client.notifications.listNotifications({ orderId: fx.orderOfA }),
  },

  // A customer's ListTickets is a filter over their own tickets (B's answer for A's order is an empty list), so
  // it is not OWNER; asking for another user's tickets is PermissionDenied (admission.integration.test.ts).
  "AdmissionService/ListTickets": { ...EVERYONE, call: ({ client, fx }) => client.admission.listTickets({ orderId: fx.paidOrderOfA }) },
  "AdmissionService/GetTicketCode": { ...OWNER, call: ({ client, fx }) => client.admission.getTicketCode({ ticketId: fx.scannedTicketOfA }) },
  // A refusal (ALREADY_CHECKED_IN after the first cell that may scan) is an answer: OK.
  "AdmissionService/CheckIn": {
    ...AT_THE_GATE,
    call: ({ client, fx }) => client.admission.checkIn({ code: fx.codeOfA, gate: "matrix", eventId: fx.eventId }),
  },
  "AdmissionService/ListCheckIns": { ...ADMIN_ONLY, call: ({ client, fx }) => client.admission.listCheckIns({ eventId: fx.eventId }) },
  "AdmissionService/RevokeTicket": {
    ...ADMIN_ONLY,
    call: ({ client, fx }) => client.admission.revokeTicket({ ticketId: fx.revokedTicketOfA, reason: "matrix" }),
  },
  "AdmissionService/RevokeOrderTickets": {
    ...STAFF,
    call: ({ client, fx }) => client.admission.revokeOrderTickets({ orderId: fx.revokedOrderOfA, reason: "matrix" }),
  },
  "AdmissionService/GetVerificationKeys": { ...AT_THE_GATE, call: ({ client }) => client.admission.getVerificationKeys({}) },
  "AdmissionService/UploadOfflineScans": {
    ...AT_THE_GATE,
    call: ({ client, fx }) =>
      client.admission.uploadOfflineScans({
        scans: [{ scanId: randomUUID(), code: fx.codeOfA, gate: "matrix offline", eventId: fx.eventId, scannedAt: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 } }],
      }),
  },
};

let t: TestPlatform;
let admin: TicketingClient;
const clients = {} as Record<CallerKind, TicketingClient>;
let fx: Fixtures;

beforeAll(async () => {
  t = await startTestPlatform({ env: { TICKETING_EXPIRY_CRON: "0 0 0 1 1 *" } });
  admin = t.admin;
  const key = new TextEncoder().encode(t.secret);
  const tokens: Record<CallerKind, string | undefined> = {
    none: undefined,
    garbage: "not-a-jwt",
    wrongSecret: await new TokenAuthority("w".repeat(40)).mint({ sub: "admin", role: "admin" }),
    expired: await t.platform.tokens.mint({ sub: "admin", role: "admin" }, -60),
    wrongIssuer: await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).setIssuer("elsewhere").setSubject("admin").sign(key),
    customerA: await t.platform.tokens.mint({ sub: "matrix-a", role: "customer" }),
    customerB: await t.platform.tokens.mint({ sub: "matrix-b", role: "customer" }),
    admin: await t.platform.tokens.mint({ sub: "matrix-admin", role: "admin" }),
    service: await t.platform.tokens.mint({ sub: "matrix-service", role: "service" }),
    gate: await t.platform.tokens.mint({ sub: "matrix-gate", role: "gate" }),
  };
  for (const kind of CALLERS) {
    const token = tokens[kind];
    // No retries: a refusal is the answer under test, and every call must reach the server exactly once.
    clients[kind] = createTicketingClient({ baseUrl: t.platform.url, ...(token ? { token } : {}), protocol: "grpc", timeoutMs: 10_000, retry: { maxAttempts: 1 } });
  }
  const { eventId, ticketIds } = await createEventWith(admin, 10_000);
  const ticketId = ticketIds[0] as string;
  const a = clients.customerA;
  const freshOrderOfA = async () => {
    await a.checkout.addToCart({ ticketId, quantity: 1 });
    return (await a.checkout.placeOrder({})).order!.id;
  };
  const orderOfA = await freshOrderOfA();
  await eventually(async () => ((await admin.notifications.listNotifications({ orderId: orderOfA })).notifications.length > 0 ? true : undefined), 15_000, "A's notification");
  const paid = await buyPaidTickets(admin, a, ticketId, 2);
  const revokedOrder = await buyPaidTickets(admin, a, ticketId, 1);
  const scannedTicketOfA = paid.tickets[0]!.id;
  const codeOfA = (await a.admission.getTicketCode({ ticketId: scannedTicketOfA })).code;
  fx = {
    paidOrderOfA: paid.orderId,
    scannedTicketOfA,
    revokedTicketOfA: paid.tickets[1]!.id,
    codeOfA,
    revokedOrderOfA: revokedOrder.orderId,
    ticketId,
    eventId,
    orderOfA,
    freshOrderOfA,
    async freshHold() {
      const orderId = randomUUID();
      await admin.bookings.createBooking({ orderId, items: [{ ticketId, quantity: 1 }] });
      return orderId;
    },
  };
});
afterAll(async () => {
  await t?.close();
});

const outcomeOf = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => "OK",
    (e: unknown) => toTicketingError(e).codeName,
  );

describe("authorization matrix", () => {
  it("has one row for every RPC of the five services", () => {
    const services = [event.EventService, booking.BookingService, checkout.CheckoutService, notification.NotificationService, admission.AdmissionService];
    const rpcs = services.flatMap((s) =>
      s.methods.map((m) => `${s.name}/${m.name}`),
    );
    expect(Object.keys(MATRIX).sort()).toEqual(rpcs.sort());
  });

  it("every RPC × {no token, garbage, wrong secret, expired, wrong issuer, customer A, customer B, admin, service, gate} answers as the table says", async () => {
    const got: Record<string, Record<string, string>> = {};
    const expected: Record<string, Record<string, string>> = {};
    for (const [rpc, row] of Object.entries(MATRIX)) {
      got[rpc] = {};
      expected[rpc] = {};
      for (const kind of CALLERS) {
        got[rpc][kind] = await outcomeOf(row.call({ fx, client: clients[kind] }));
        expected[rpc][kind] = row[kind];
      }
    }
    // One comparison of the whole matrix, so a failure shows every cell that differs at once.
    expect(got).toEqual(expected);
  });
});
