// An in-memory stand-in for a deployment, for the CLI's command tests: no server, no network, no TTY.
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { admission, booking, checkout, createTicketingClient, decodeTicketCode, event, type TicketingClient } from "@ticketing/sdk";
import { generateKeyPairSync, sign, verify } from "node:crypto";
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
  const tickets = fakeTickets(order(checkout.OrderStatus.PAID));
  const routes = (router: ConnectRouter) => {
    tickets.serve(router, record);
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
  return { calls, events, client, tickets };
}

const { CheckInResult: R } = admission;

/**
 * The admission side of the fake: the paid order's two tickets, with codes signed the way the admission service
 * signs them (a TicketCodePayload, Ed25519 by node:crypto, base64url), so the CLI's offline verification checks real
 * signatures. Tickets appear on the second ListTickets call for the order: issuance follows the payment.
 */
function fakeTickets(paid: checkout.Order) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const keyId = "fa4e0001";
  const eventId = "00000000-0000-4000-8000-0000000000e1";
  const issuedAt = timestampFromDate(new Date("2027-01-01T10:01:00Z"));
  const list = [1, 2].map((n) =>
    create(admission.TicketSchema, {
      id: `00000000-0000-4000-8000-0000000001${n}0`,
      orderId: paid.id,
      userId: paid.userId,
      eventId,
      ticketTypeId: "00000000-0000-4000-8000-0000000000a1",
      ticketTypeName: "Standing",
      number: n,
      status: admission.TicketStatus.VALID,
      issuedAt,
    }),
  );
  const raw = (id: string) => Uint8Array.from(Buffer.from(id.replace(/-/g, ""), "hex"));
  const codeOf = (t: admission.Ticket) => {
    const payload = toBinary(
      admission.TicketCodePayloadSchema,
      create(admission.TicketCodePayloadSchema, { ticketId: raw(t.id), eventId: raw(t.eventId), ticketTypeId: raw(t.ticketTypeId), keyId, issuedAtSeconds: issuedAt.seconds }),
    );
    const envelope = create(admission.TicketCodeSchema, { payload, signature: sign(null, payload, privateKey) });
    return Buffer.from(toBinary(admission.TicketCodeSchema, envelope)).toString("base64url");
  };
  const revoked: string[] = [];
  const admitted = new Map<string, admission.CheckIn>();
  let listings = 0;

  /** One scan, online or uploaded: the first admission of a ticket wins. */
  const scan = (code: string, gate: string, at: Date, offline: boolean): { result: admission.CheckInResult; message: string; admission?: admission.CheckIn } => {
    const d = decodeTicketCode(code);
    if (!d) return { result: R.MALFORMED, message: "refused: not a ticket code" };
    if (d.keyId !== keyId || !verify(null, d.payload, publicKey, d.signature)) return { result: R.BAD_SIGNATURE, message: "refused: forged or altered" };
    if (revoked.includes(d.ticketId)) return { result: R.REVOKED, message: "refused: this ticket was revoked" };
    const before = admitted.get(d.ticketId);
    if (before) return { result: R.ALREADY_CHECKED_IN, message: `already checked in at ${timestampDate(before.checkedInAt!).toISOString()} at ${before.gate}`, admission: before };
    const first = create(admission.CheckInSchema, { ticketId: d.ticketId, eventId: d.eventId, gate, checkedInAt: timestampFromDate(at), offline });
    admitted.set(d.ticketId, first);
    return { result: R.ADMITTED, message: "admitted", admission: first };
  };

  function serve(router: ConnectRouter, record: (method: string, request: unknown, header: Headers) => void) {
    router.service(admission.AdmissionService, {
      listTickets(req, ctx) {
        record("ListTickets", req, ctx.requestHeader);
        if (state.fail) throw new ConnectError("admission is down", Code.Unavailable);
        if (req.orderId && listings++ === 0) return { tickets: [] };
        return { tickets: list.filter((t) => !req.orderId || t.orderId === req.orderId) };
      },
      getTicketCode(req, ctx) {
        record("GetTicketCode", req, ctx.requestHeader);
        const t = list.find((x) => x.id === req.ticketId);
        if (!t) throw new ConnectError(`ticket ${req.ticketId} not found`, Code.NotFound);
        return { ticket: t, code: codeOf(t), keyId };
      },
      checkIn(req, ctx) {
        record("CheckIn", req, ctx.requestHeader);
        return scan(req.code, req.gate, new Date(), false);
      },
      getVerificationKeys(req, ctx) {
        record("GetVerificationKeys", req, ctx.requestHeader);
        const since = Number(req.revocationsSinceVersion);
        return {
          keys: [{ keyId, publicKey: Uint8Array.from(Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url")), signing: true }],
          revocations: revoked.slice(since).map((ticketId, i) => ({ ticketId, eventId, version: BigInt(since + i + 1) })),
          revocationVersion: BigInt(revoked.length),
        };
      },
      uploadOfflineScans(req, ctx) {
        record("UploadOfflineScans", req, ctx.requestHeader);
        return { results: req.scans.map((s) => ({ scanId: s.scanId, ...scan(s.code, s.gate, s.scannedAt ? timestampDate(s.scannedAt) : new Date(), true) })) };
      },
      revokeTicket(req, ctx) {
        record("RevokeTicket", req, ctx.requestHeader);
        if (!revoked.includes(req.ticketId)) revoked.push(req.ticketId);
        return { ticket: list.find((x) => x.id === req.ticketId) };
      },
    });
  }
  const state = { list, codeOf, serve, /** Set to make ListTickets fail as an unreachable service does. */ fail: false };
  return state;
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
