import { createTicketingClient, type TicketingClient } from "@ticketing/sdk";

// Where the platform is and who the buyer is. The platform's address comes from /config.json when the server of
// this page provides one (make storefront writes it), else from VITE_TICKETING_URL at build time, else the
// embedded default. The token comes from the platform's sign-in and lives in sessionStorage.

export interface Session {
  token: string;
  sub: string;
}

const SESSION_KEY = "ticketing.session";

export async function platformUrl(): Promise<string> {
  try {
    const res = await fetch("./config.json", { cache: "no-store" });
    if (res.ok) {
      const { platformUrl } = (await res.json()) as { platformUrl?: string };
      if (platformUrl) return platformUrl.replace(/\/+$/, "");
    }
  } catch {
    // no config.json: the fallbacks below
  }
  return (import.meta.env["VITE_TICKETING_URL"] as string | undefined) ?? "http://127.0.0.1:50600";
}

export function savedSession(): Session | undefined {
  const raw = sessionStorage.getItem(SESSION_KEY);
  return raw ? (JSON.parse(raw) as Session) : undefined;
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/**
 * The development sign-in of the embedded platform: a customer token for a name. A real deployment signs buyers in
 * with its OpenID Connect provider instead and passes that token on (README, "Buyers signing in").
 */
export async function signIn(baseUrl: string, name: string): Promise<Session> {
  const res = await fetch(`${baseUrl}/dev/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; sub?: string; error?: string };
  if (!res.ok || !body.token || !body.sub) throw new Error(body.error ?? `sign-in failed (HTTP ${res.status})`);
  return { token: body.token, sub: body.sub };
}

export function clientFor(baseUrl: string, session: Session): TicketingClient {
  return createTicketingClient({ baseUrl, token: session.token, protocol: "connect" });
}

/** Minor units in the currency's own decimals, e.g. 4500n EUR → "€45.00". */
export function money(amount: { amountMinor: bigint; currency: string } | undefined): string {
  if (!amount) return "";
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency: amount.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const unit = 10n ** BigInt(digits);
  const whole = amount.amountMinor / unit;
  const fraction = (amount.amountMinor % unit).toString().padStart(digits, "0");
  return format.format((digits === 0 ? `${whole}` : `${whole}.${fraction}`) as unknown as number);
}
