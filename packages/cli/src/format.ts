import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { common } from "@ticketing/sdk";
import { CliError, EXIT } from "./errors.js";

/** Minor units in the currency's own decimals: 4550 EUR → "45.50 EUR". */
export function money(m: common.Money | undefined): string {
  if (!m) return "-";
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency: m.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // unknown currency: assume two decimals
  }
  const negative = m.amountMinor < 0n;
  const abs = negative ? -m.amountMinor : m.amountMinor;
  const unit = 10n ** BigInt(digits);
  const fraction = digits > 0 ? `.${(abs % unit).toString().padStart(digits, "0")}` : "";
  return `${negative ? "-" : ""}${abs / unit}${fraction} ${m.currency}`;
}

/** "1 ticket type", "2 ticket types". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** An ISO time without milliseconds, or "-". */
export function time(t: Timestamp | undefined): string {
  return t ? timestampDate(t).toISOString().replace(/\.\d{3}Z$/, "Z") : "-";
}

/** ORDER_STATUS_PENDING_PAYMENT → PENDING_PAYMENT, from a generated enum. */
export function enumName(e: Record<number, string>, value: number, prefix: string): string {
  return (e[value] ?? String(value)).replace(prefix, "");
}

/** Parses a positive integer flag, or throws a usage error. */
export function positiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${name} must be a whole number from 1 to ${max}`, EXIT.usage);
  return n;
}
