// What a buyer is told for each kind of order change. Plain text: it goes to a log line, a webhook and an e-mail.

export type OrderEventKind = "PLACED" | "PAID" | "CANCELLED" | "EXPIRED" | "FAILED";

export interface OrderFacts {
  orderId: string;
  totalMinor: bigint;
  currency: string;
  expiresAt: Date | undefined;
  reason: string;
  lines: { name: string; quantity: number }[];
}

/** Formats minor units in the currency's own number of decimals (JPY 0, EUR 2, KWD 3). */
export function formatMoney(amountMinor: bigint, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en", { style: "currency", currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    const major = amountMinor / 10n ** BigInt(digits);
    const minor = amountMinor % 10n ** BigInt(digits);
    return format.format(Number(`${major}.${minor.toString().padStart(digits, "0")}`));
  } catch {
    return `${amountMinor} ${currency} (minor units)`;
  }
}

export function render(kind: OrderEventKind, facts: OrderFacts): { subject: string; body: string } {
  const short = facts.orderId.slice(0, 8);
  const total = formatMoney(facts.totalMinor, facts.currency);
  const lines = facts.lines.map((l) => `  ${l.quantity} × ${l.name}`).join("\n");
  switch (kind) {
    case "PLACED":
      return {
        subject: `Your tickets are reserved (order ${short})`,
        body: `We are holding these tickets for you:\n${lines}\nTotal: ${total}.\n` +
          `Pay before ${facts.expiresAt?.toISOString() ?? "the reservation ends"} to keep them.\nOrder ${facts.orderId}`,
      };
    case "PAID":
      return {
        subject: `Your tickets are confirmed (order ${short})`,
        body: `Thank you! Your payment of ${total} was received and these tickets are yours:\n${lines}\nOrder ${facts.orderId}`,
      };
    case "CANCELLED":
      return {
        subject: `Your order ${short} was cancelled`,
        body: `Your order was cancelled${facts.reason ? ` (${facts.reason})` : ""} and nothing was charged.\nOrder ${facts.orderId}`,
      };
    case "EXPIRED":
      return {
        subject: `Your reservation expired (order ${short})`,
        body: `The payment for these tickets did not arrive in time, so they went back on sale:\n${lines}\nOrder ${facts.orderId}`,
      };
    case "FAILED":
      return {
        subject: `We could not place your order ${short}`,
        body: `Your order could not be placed${facts.reason ? `: ${facts.reason}` : ""}. Nothing was charged.\nOrder ${facts.orderId}`,
      };
  }
}
