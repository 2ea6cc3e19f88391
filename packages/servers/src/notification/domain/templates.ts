// What a buyer is told for each kind of order change. Plain text: it goes to a log line, a webhook and an e-mail.

export type OrderEventKind = "PLACED" | "PAID" | "CANCELLED" | "EXPIRED" | "FAILED" | "REFUNDED";

export interface OrderFacts {
  orderId: string;
  totalMinor: bigint;
  currency: string;
  expiresAt: Date | undefined;
  reason: string;
  lines: { name: string; quantity: number }[];
}

const formats = new Map<string, Intl.NumberFormat | null>();

/** The currency's formatter, made once per currency (making one is most of the cost); null if unknown. */
function formatFor(currency: string): Intl.NumberFormat | null {
  let format = formats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat("en", { style: "currency", currency });
    } catch {
      format = null;
    }
    formats.set(currency, format);
  }
  return format;
}

/** Formats minor units in the currency's own number of decimals (JPY 0, EUR 2, KWD 3), exactly, whatever the size. */
export function formatMoney(amountMinor: bigint, currency: string): string {
  const format = formatFor(currency);
  if (!format) return `${amountMinor} ${currency} (minor units)`;
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const sign = amountMinor < 0n ? "-" : "";
  const abs = amountMinor < 0n ? -amountMinor : amountMinor;
  const unit = 10n ** BigInt(digits);
  const decimal = digits === 0 ? `${abs}` : `${abs / unit}.${(abs % unit).toString().padStart(digits, "0")}`;
  // A decimal string keeps every digit; a Number would round amounts past 2^53 minor units.
  return format.format(`${sign}${decimal}` as unknown as number);
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
    case "REFUNDED":
      return {
        subject: `Your order ${short} was refunded`,
        body: `Your payment of ${total} was refunded${facts.reason ? ` (${facts.reason})` : ""}; these tickets are no longer valid:\n${lines}\nOrder ${facts.orderId}`,
      };
    case "FAILED":
      return {
        subject: `We could not place your order ${short}`,
        body: `Your order could not be placed${facts.reason ? `: ${facts.reason}` : ""}. Nothing was charged.\nOrder ${facts.orderId}`,
      };
  }
}
