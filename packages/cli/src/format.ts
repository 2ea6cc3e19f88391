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

/**
 * An enum flag given by a value's name in any case (`--status paid`); the enum's zero value, meaning no filter,
 * when the flag is absent.
 */
export function enumFlag(e: Record<string, string | number>, value: string | undefined, flag: string): number {
  if (!value) return 0;
  const found = e[value.toUpperCase()];
  if (typeof found === "number" && found !== 0) return found;
  const names = Object.keys(e).filter((k) => typeof e[k] === "number" && e[k] !== 0);
  throw new CliError(`${flag} must be one of ${names.join(", ")}`, EXIT.usage);
}

/** A whole number the server range-checks itself (it names the field in its error), so only the type is checked here. */
export function wholeNumber(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError(`${name} must be a whole number`, EXIT.usage);
  return n;
}

/** A positive integer flag, or a usage error that gives the range. */
export function positiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${name} must be a whole number from 1 to ${max}`, EXIT.usage);
  return n;
}
