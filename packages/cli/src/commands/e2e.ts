import { createClient } from "@connectrpc/connect";
import { Code, ConnectError, admission, booking, checkout, codeName, notification, type TicketingClient } from "@ticketing/sdk";
import { reflection } from "@ticketing/sdk/grpc";
import type { Command } from "commander";
import { randomUUID } from "node:crypto";
import type { Deps, Run } from "../deps.js";
import { CliError, EXIT } from "../errors.js";
import { mintToken } from "../tokens.js";
import { act, examples } from "./shared.js";

interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

class StepFailed extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new StepFailed(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** The services the deployment lists through reflection. */
async function servicesOf(client: TicketingClient): Promise<string[]> {
  const r = createClient(reflection.ServerReflection, client.transport);
  async function* ask() {
    yield { messageRequest: { case: "listServices" as const, value: "" } };
  }
  for await (const answer of r.serverReflectionInfo(ask(), { timeoutMs: 5000 })) {
    if (answer.messageResponse.case === "listServicesResponse") return answer.messageResponse.value.service.map((s) => s.name);
  }
  return [];
}

/**
 * Drives the whole buying flow against a deployment and reports each step. Needs an admin token; buyers use minted
 * customer tokens when the signing secret is known (development), else the context's customer token, else the admin's.
 */
async function runE2e(
  r: Run,
  opts: { expiryTimeout: string; notificationTimeout: string },
): Promise<StepResult[]> {
  const conn = await r.connection();
  const clientFor = (token: string | undefined) => r.deps.createClient({ ...conn, token });
  const admin = clientFor(conn.token);
  const buyer = async (name: string) => {
    const sub = `e2e-${name}-${randomUUID().slice(0, 8)}`;
    const token = conn.jwtSecret ? await mintToken(conn.jwtSecret, sub, "customer") : (conn.customerToken ?? conn.token);
    return clientFor(token);
  };
  const results: StepResult[] = [];
  const state: { ticketId?: string; soldOutTicket?: string; eventId?: string; paidOrder?: string; paidBuyer?: TicketingClient; services: string[]; leftovers: { client: TicketingClient; orderId: string }[] } = {
    services: [],
    leftovers: [],
  };
  const step = async (name: string, body: () => Promise<string>) => {
    const started = performance.now();
    let ok = true;
    let detail: string;
    try {
      detail = await body();
    } catch (err) {
      ok = false;
      detail = err instanceof StepFailed ? err.message : err instanceof ConnectError ? `${codeName(err.code)}: ${err.rawMessage}` : String(err);
    }
    const result = { name, ok, ms: Math.round(performance.now() - started), detail };
    results.push(result);
    if (!r.out.json) r.deps.stderr.write(`${ok ? "PASS" : "FAIL"}  ${name.padEnd(44)} ${String(result.ms).padStart(6)} ms  ${detail}\n`);
    return ok;
  };
  const expiryTimeout = Number(opts.expiryTimeout) * 1000;

  const reachable = await step("reach the deployment (reflection)", async () => {
    state.services = await servicesOf(admin);
    check(state.services.includes("ticketing.checkout.v1.CheckoutService"), `no checkout service among ${state.services.join(", ")}`);
    return `${state.services.filter((s) => s.startsWith("ticketing.")).length} ticketing services`;
  });
  if (reachable) {
    await step("create an event as admin", async () => {
      const { event } = await admin.events.createEvent({
        name: `e2e ${new Date().toISOString()}`,
        startsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 86_400) },
        endsAt: { seconds: BigInt(Math.floor(Date.now() / 1000) + 90_000) },
        ticketTypes: [
          { name: "Standing", price: { amountMinor: 4500n, currency: "EUR" }, capacity: 20 },
          { name: "Last seat", price: { amountMinor: 9900n, currency: "EUR" }, capacity: 1 },
        ],
      });
      check(event && event.ticketTypes.length === 2, "CreateEvent returned no ticket types");
      state.eventId = event.id;
      state.ticketId = event.ticketTypes[0]!.id;
      state.soldOutTicket = event.ticketTypes[1]!.id;
      const { stocks } = await admin.bookings.getStocks({ eventId: event.id });
      check(stocks.length === 2, `expected 2 stocks, found ${stocks.length}`);
      return `event ${event.id}, stock created`;
    });
  }
  const ticketId = state.ticketId;
  const stockOf = async () => (await admin.bookings.getStock({ ticketId: ticketId ?? "" })).stock!;
  if (ticketId) {
    await step("buy as a customer and pay", async () => {
      const c = await buyer("buyer");
      await c.checkout.addToCart({ ticketId, quantity: 2 });
      const { order } = await c.checkout.placeOrder({});
      check(order?.status === checkout.OrderStatus.PENDING_PAYMENT, `order is ${checkout.OrderStatus[order?.status ?? 0]}`);
      check(order.total?.amountMinor === 9000n, `total ${order.total?.amountMinor}, expected 9000`);
      check((await stockOf()).held === 2, "stock does not show 2 held");
      const { order: paid } = await admin.checkout.markOrderAsPaid({ orderId: order.id, paymentReference: `e2e-${order.id}` });
      check(paid?.status === checkout.OrderStatus.PAID, "order not PAID after payment");
      const s = await stockOf();
      check(s.sold === 2 && s.held === 0, `stock after payment: held ${s.held}, sold ${s.sold}`);
      state.paidOrder = order.id;
      state.paidBuyer = c;
      return `order ${order.id} paid, 2 sold`;
    });
    await step("cancel an order and see the stock restored", async () => {
      const c = await buyer("canceller");
      await c.checkout.addToCart({ ticketId, quantity: 3 });
      const before = (await stockOf()).available;
      const { order } = await c.checkout.placeOrder({});
      check((await stockOf()).available === before - 3, "placing did not hold 3");
      const { order: cancelled } = await c.checkout.cancelOrder({ orderId: order!.id, reason: "e2e" });
      check(cancelled?.status === checkout.OrderStatus.CANCELLED, "order not CANCELLED");
      check((await stockOf()).available === before, "stock not restored");
      return `available back to ${before}`;
    });
    await step("a short-TTL hold expires", async () => {
      const before = (await stockOf()).available;
      const orderId = randomUUID();
      const { bookings } = await admin.bookings.createBooking({ orderId, items: [{ ticketId, quantity: 1 }], ttl: { seconds: 1n } });
      check(bookings.length === 1, "no hold created");
      const expired = await until(
        async () => {
          const { bookings: now } = await admin.bookings.getBookings({ orderId });
          return now[0]?.status === booking.BookingStatus.EXPIRED ? now[0] : undefined;
        },
        expiryTimeout,
        "the expiry sweep",
      );
      check((await stockOf()).available === before, "stock not restored after expiry");
      return `hold ${expired.id} expired by the sweep`;
    });
    await step("sold out is refused with RESOURCE_EXHAUSTED", async () => {
      const first = await buyer("first");
      await first.checkout.addToCart({ ticketId: state.soldOutTicket!, quantity: 1 });
      const { order } = await first.checkout.placeOrder({});
      state.leftovers.push({ client: first, orderId: order!.id });
      const late = await buyer("late");
      await late.checkout.addToCart({ ticketId: state.soldOutTicket!, quantity: 1 });
      const refused = await late.checkout.placeOrder({}).then(
        () => undefined,
        (e: unknown) => e,
      );
      check(refused instanceof ConnectError && refused.code === Code.ResourceExhausted, `expected RESOURCE_EXHAUSTED, got ${refused ? String(refused) : "an order"}`);
      return "the last seat went to the first buyer";
    });
  }
  if (state.services.includes("ticketing.notification.v1.NotificationService") && state.paidOrder) {
    const orderId = state.paidOrder;
    await step("a notification arrives for the paid order", async () => {
      const n = await until(
        async () => {
          const { notifications } = await admin.notifications.listNotifications({ orderId });
          return notifications.find((x) => x.orderEventType === checkout.OrderEventType.PAID);
        },
        Number(opts.notificationTimeout) * 1000,
        "the PAID notification",
      );
      return `"${n.subject}" via ${notification.NotificationChannel[n.channel]}`;
    });
  }
  if (state.services.includes("ticketing.admission.v1.AdmissionService") && state.paidOrder) {
    const orderId = state.paidOrder;
    const c = state.paidBuyer ?? admin;
    await step("the paid order's ticket checks in once", async () => {
      const tickets = await until(
        async () => {
          const { tickets } = await c.admission.listTickets({ orderId });
          return tickets.length === 2 ? tickets : undefined;
        },
        Number(opts.notificationTimeout) * 1000,
        "the order's 2 tickets",
      );
      const { code } = await c.admission.getTicketCode({ ticketId: tickets[0]!.id });
      const first = await admin.admission.checkIn({ code, gate: "e2e" });
      check(first.result === admission.CheckInResult.ADMITTED, `first scan: ${first.message}`);
      const second = await admin.admission.checkIn({ code, gate: "e2e" });
      check(second.result === admission.CheckInResult.ALREADY_CHECKED_IN, `second scan: ${second.message}`);
      return `${code.length}-character code admitted, second scan refused`;
    });
  }
  await step("clean up what the API allows", async () => {
    for (const { client, orderId } of state.leftovers) await client.checkout.cancelOrder({ orderId, reason: "e2e clean-up" });
    return `${state.leftovers.length} open order(s) cancelled; events cannot be deleted through the API`;
  });
  return results;
}

export function register(program: Command, deps: Deps): void {
  program
    .command("e2e")
    .description("Run the end-to-end buying flows against a deployment and report each step (needs an admin token)")
    .option("--expiry-timeout <seconds>", "how long to wait for a 1-second hold to be swept", "20")
    .option("--notification-timeout <seconds>", "how long to wait for a notification", "20")
    .addHelpText("after", examples("ticketctl e2e", "ticketctl e2e --context staging --json > report.json"))
    .action(
      act(deps, async (r: Run, opts: { expiryTimeout: string; notificationTimeout: string }) => {
        const started = performance.now();
        const results = await runE2e(r, opts);
        const failed = results.filter((s) => !s.ok).length;
        const summary = { ok: failed === 0, passed: results.length - failed, failed, ms: Math.round(performance.now() - started), steps: results };
        r.out.data(summary, () => `${summary.passed} passed, ${failed} failed in ${summary.ms} ms`);
        if (failed > 0) throw new CliError(`${failed} end-to-end step(s) failed`, EXIT.error);
      }),
    );
}
