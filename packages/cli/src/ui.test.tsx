import { checkout } from "@ticketing/sdk";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { Shop } from "./ui/shop.js";
import { OrderCard } from "./ui/watch.js";
import { fakeDeployment } from "./testing/fake.js";

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

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
});
