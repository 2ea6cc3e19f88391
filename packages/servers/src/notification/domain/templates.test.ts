import { describe, expect, it } from "vitest";
import { formatMoney, render } from "./templates.js";

describe("money in notifications", () => {
  it("uses each currency's own decimals", () => {
    expect(formatMoney(4500n, "EUR")).toBe("€45.00");
    expect(formatMoney(4500n, "JPY")).toBe("¥4,500");
    expect(formatMoney(4500n, "KWD")).toBe("KWD\u00a04.500");
  });

  it("keeps every digit of amounts too large for a float", () => {
    expect(formatMoney(2_000_000_000_000_000_01n, "EUR")).toBe("€2,000,000,000,000,000.01");
  });

  it("says what it has when the currency is unknown", () => {
    expect(formatMoney(100n, "XYZ1")).toBe("100 XYZ1 (minor units)");
  });

  it("renders a placed order with its total and lines", () => {
    const { subject, body } = render("PLACED", {
      orderId: "5b1e8b52-6d0a-4c39-9c1e-1f2a3b4c5d6e",
      totalMinor: 9000n,
      currency: "EUR",
      expiresAt: undefined,
      reason: "",
      lines: [{ name: "GA", quantity: 2 }],
    });
    expect(subject).toContain("5b1e8b52");
    expect(body).toContain("€90.00");
    expect(body).toContain("2 × GA");
  });
});
