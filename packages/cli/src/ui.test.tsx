import { checkout } from "@ticketing/sdk";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { qrText } from "./qr.js";
import { Shop } from "./ui/shop.js";
import { OrderCard, Watch } from "./ui/watch.js";
import { fakeDeployment } from "./testing/fake.js";

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
/** Waits until `frame()` contains `text` (at most 5 s), and returns that frame. */
async function frameWith(frame: () => string | undefined, text: string): Promise<string> {
  for (const until = Date.now() + 5000; Date.now() < until; await tick(50)) {
    if (frame()?.includes(text)) return frame() ?? "";
  }
  throw new Error(`no frame with "${text}"; the last:\n${frame()}`);
}

/** Opens the shop as customer alice on a fake with one event, adds a ticket and places the order (the fake pays it). */
async function shopUntilOrdered(fake: ReturnType<typeof fakeDeployment>) {
    const buyer = fake.client({ server: "x", token: "alice-t", customerToken: undefined, jwtSecret: undefined, protocol: "grpc", contextName: undefined });
    await buyer.events.createEvent({ name: "Open Air", ticketTypes: [{ name: "Standing", price: { amountMinor: 4550n, currency: "EUR" }, capacity: 10 }] });
    const { lastFrame, stdin } = render(<Shop client={buyer} />);
    await tick(100);
    for (const key of ["\r", "a", "c", "p"]) {
      stdin.write(key);
      await tick(100);
    }
    return { lastFrame, stdin };
}

describe("ink views", () => {
  it("OrderCard shows the status, the total and the hold's countdown", () => {
    const order = create(checkout.OrderSchema, {
      id: "o-1",
      status: checkout.OrderStatus.PENDING_PAYMENT,
      total: { amountMinor: 9000n, currency: "EUR" },
      expiresAt: timestampFromDate(new Date(Date.now() + 125_000)),
    });
    const { lastFrame } = render(<OrderCard order={order} history={[checkout.OrderStatus.PENDING_PAYMENT]} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain("PENDING_PAYMENT");
    expect(frame).toContain("90.00 EUR");
    expect(frame).toMatch(/held for 2:0[45]/);
  });

  it("order watch paints the final state before it exits", async () => {
    const at = (status: checkout.OrderStatus) =>
      create(checkout.WatchOrderResponseSchema, {
        order: { id: "o-7", status, total: { amountMinor: 4500n, currency: "EUR" }, expiresAt: timestampFromDate(new Date(Date.now() + 600_000)) },
      });
    async function* stream() {
      yield at(checkout.OrderStatus.PENDING_PAYMENT);
      await tick();
      yield at(checkout.OrderStatus.PAID);
    }
    const { frames } = render(<Watch stream={stream()} />);
    await tick(300);
    // The view unmounts itself after the final update, and ink's unmount ends with blank writes: the last frame
    // with something in it is what stays on the terminal.
    const frame = frames.filter((f) => f.trim() !== "").at(-1) ?? "";
    expect(frame).toContain("PAID");
    expect(frame).toContain("seen: PENDING_PAYMENT → PAID");
    expect(frame).toContain("final: PAID");
    expect(frame).not.toContain("watching");
    expect(frame).not.toContain("held for");
  });

  it("the shop lists events, adds tickets, shows the cart and places the order", async () => {
    const fake = fakeDeployment();
    const live = fake.client({ server: "x", token: "t", customerToken: undefined, jwtSecret: undefined, protocol: "grpc", contextName: undefined });
    await live.events.createEvent({ name: "Open Air", ticketTypes: [{ name: "Standing", price: { amountMinor: 4550n, currency: "EUR" }, capacity: 10 }] });
    const { lastFrame, stdin } = render(<Shop client={live} />);
    await tick(100);
    expect(lastFrame()).toContain("Open Air");
    stdin.write("\r");
    await tick();
    expect(lastFrame()).toContain("Standing 45.50 EUR");
    stdin.write("\u001b[C"); // → quantity 2
    await tick();
    stdin.write("a");
    await tick(100);
    expect(lastFrame()).toContain("added 2 × Standing");
    expect(fake.calls.find((c) => c.method === "AddToCart")?.request).toMatchObject({ quantity: 2 });
    stdin.write("c");
    await tick(100);
    expect(lastFrame()).toContain("your cart");
    stdin.write("p");
    await tick(200);
    const frame = lastFrame() ?? "";
    expect(fake.calls.some((c) => c.method === "PlaceOrder")).toBe(true);
    expect(frame).toMatch(/PENDING_PAYMENT|PAID/);
  });

  it("once the order is PAID the shop shows each ticket's QR code, ←/→ for the other", async () => {
    const fake = fakeDeployment();
    const { lastFrame, stdin } = await shopUntilOrdered(fake);
    // The fake's order turns PAID; its tickets are issued a moment later (the first ListTickets finds none).
    const [first, second] = fake.tickets.list;
    const one = await frameWith(lastFrame, "ticket 1 of 2: Standing #1");
    expect(one).toContain("status PAID");
    expect(one).toContain(qrText(fake.tickets.codeOf(first!)));
    expect(one).not.toContain(qrText(fake.tickets.codeOf(second!)));
    stdin.write("\u001b[C"); // → the other ticket
    const two = await frameWith(lastFrame, "ticket 2 of 2: Standing #2");
    expect(two).toContain(qrText(fake.tickets.codeOf(second!)));
    const listed = fake.calls.filter((c) => c.method === "ListTickets");
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed.map((c) => c.authorization)).toEqual(listed.map(() => "Bearer alice-t"));
    expect(fake.calls.filter((c) => c.method === "GetTicketCode").map((c) => (c.request as { ticketId: string }).ticketId)).toEqual([first!.id, second!.id]);
  });

  it("the shop says so when the paid order's tickets cannot be read", async () => {
    const fake = fakeDeployment();
    fake.tickets.fail = true;
    const { lastFrame } = await shopUntilOrdered(fake);
    expect(await frameWith(lastFrame, "UNAVAILABLE")).not.toContain("ticket 1 of");
  });

  it("the shop buys as the customer and has the payer (the admin) mark the order paid", async () => {
    const fake = fakeDeployment();
    const as = (token: string) => fake.client({ server: "x", token, customerToken: undefined, jwtSecret: undefined, protocol: "grpc", contextName: undefined });
    const admin = as("admin-t");
    await admin.events.createEvent({ name: "Club Night", ticketTypes: [{ name: "Entry", price: { amountMinor: 1500n, currency: "EUR" }, capacity: 5 }] });
    const { lastFrame, stdin } = render(<Shop client={as("alice-t")} payer={admin} />);
    await tick(100);
    expect(lastFrame()).toContain("Club Night (1 ticket type)");
    for (const key of ["\r", "a", "c", "p", "y"]) {
      stdin.write(key);
      await tick(100);
    }
    const by = (method: string) => fake.calls.filter((c) => c.method === method).map((c) => c.authorization);
    expect(by("AddToCart")).toEqual(["Bearer alice-t"]);
    expect(by("PlaceOrder")).toEqual(["Bearer alice-t"]);
    expect(by("MarkOrderAsPaid")).toEqual(["Bearer admin-t"]);
  });
});
