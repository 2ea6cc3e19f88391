import { readFile } from "node:fs/promises";
import { InvalidArgumentError, type Command } from "commander";
import { parse as parseYaml } from "yaml";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { act, examples } from "../shared.js";
import { showEvent } from "./render.js";

/** The shape of an event file (YAML or JSON) and of the flags. */
interface EventSpec {
  name: string;
  description?: string;
  venue?: { name?: string; location?: string };
  startsAt: string;
  endsAt: string;
  ticketTypes: { name: string; price: string | number; currency?: string; capacity: number }[];
}

interface CreateEventOptions {
  file?: string;
  name?: string;
  description?: string;
  venue?: string;
  location?: string;
  starts?: string;
  ends?: string;
  ticketType?: string[];
  currency?: string;
  idempotencyKey?: string;
}

/** "Standing:45.00:1000" → a ticket type. */
function parseTicketTypeFlag(value: string, currency: string): EventSpec["ticketTypes"][number] {
  const match = /^(.+):(\d+(?:\.\d{1,3})?):(\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`"${value}" is not NAME:PRICE:CAPACITY (e.g. Standing:45.00:1000)`);
  return { name: match[1] as string, price: match[2] as string, currency, capacity: Number(match[3]) };
}

/** "45.50" in EUR → 4550n minor units, exactly (no floats). */
export function toMinor(price: string | number, currency: string): bigint {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    throw new CliError(`"${currency}" is not an ISO 4217 currency code`, EXIT.usage);
  }
  const text = String(price);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match || (match[2]?.length ?? 0) > digits) {
    throw new CliError(`price "${text}" is not an amount in ${currency} with at most ${digits} decimals`, EXIT.usage);
  }
  return BigInt(match[1] as string) * 10n ** BigInt(digits) + BigInt((match[2] ?? "").padEnd(digits, "0") || "0");
}

function toTimestamp(value: string, field: string) {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new CliError(`${field} "${value}" is not a date-time (use ISO 8601, e.g. 2027-05-01T19:00:00Z)`, EXIT.usage);
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

async function specFrom(opts: CreateEventOptions): Promise<EventSpec> {
  if (opts.file) {
    const text = await readFile(opts.file, "utf8").catch((err: Error) => {
      throw new CliError(`cannot read ${opts.file}: ${err.message}`, EXIT.usage);
    });
    const spec = parseYaml(text) as EventSpec; // YAML is a superset of JSON
    if (!spec || typeof spec !== "object") throw new CliError(`${opts.file} does not describe an event`, EXIT.usage);
    return spec;
  }
  if (!opts.name || !opts.starts || !opts.ends || !opts.ticketType?.length) {
    throw new CliError("give --file, or --name, --starts, --ends and at least one --ticket-type", EXIT.usage);
  }
  const currency = opts.currency ?? "EUR";
  return {
    name: opts.name,
    ...(opts.description ? { description: opts.description } : {}),
    ...(opts.venue || opts.location
      ? { venue: { ...(opts.venue ? { name: opts.venue } : {}), ...(opts.location ? { location: opts.location } : {}) } }
      : {}),
    startsAt: opts.starts,
    endsAt: opts.ends,
    ticketTypes: opts.ticketType.map((t) => parseTicketTypeFlag(t, currency)),
  };
}

function requestFrom(spec: EventSpec, idempotencyKey?: string) {
  return {
    ...(idempotencyKey ? { idempotencyKey } : {}),
    name: spec.name,
    description: spec.description ?? "",
    ...(spec.venue?.name || spec.venue?.location ? { venue: { name: spec.venue.name ?? "", location: spec.venue.location ?? "" } } : {}),
    startsAt: toTimestamp(spec.startsAt, "startsAt"),
    endsAt: toTimestamp(spec.endsAt, "endsAt"),
    ticketTypes: (spec.ticketTypes ?? []).map((t) => {
      const currency = t.currency ?? "EUR";
      return { name: t.name, price: { amountMinor: toMinor(t.price, currency), currency }, capacity: Number(t.capacity) };
    }),
  };
}

async function runEventCreate(r: Run, opts: CreateEventOptions): Promise<void> {
  const request = requestFrom(await specFrom(opts), opts.idempotencyKey);
  showEvent(r, (await (await r.client()).events.createEvent(request)).event);
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("create")
    .description("Create an event with its ticket types (admin); their stock is created too")
    .option("-f, --file <path>", "YAML or JSON file describing the event")
    .option("--name <name>", "event name")
    .option("--description <text>", "description shown to buyers")
    .option("--venue <name>", "venue name")
    .option("--location <text>", "venue location")
    .option("--starts <iso>", "start time, ISO 8601")
    .option("--ends <iso>", "end time, ISO 8601")
    .option("-t, --ticket-type <name:price:capacity>", "a ticket type (repeatable)", (v: string, acc: string[] = []) => [...acc, v])
    .option("--currency <code>", "currency of --ticket-type prices", "EUR")
    .option("--idempotency-key <key>", "make a retried create return the first result")
    .addHelpText(
      "after",
      examples(
        "ticketctl event create --name 'Spring Tour' --starts 2027-05-01T19:00:00Z --ends 2027-05-01T23:00:00Z -t Standing:45.00:1000 -t VIP:120:50",
        "ticketctl event create -f spring-tour.yaml --json",
      ) +
        "\nFile format (YAML or JSON):\n  name: Spring Tour\n  startsAt: 2027-05-01T19:00:00Z\n  endsAt: 2027-05-01T23:00:00Z\n" +
        "  venue: { name: Arena, location: Berlin }\n  ticketTypes:\n    - { name: Standing, price: \"45.00\", currency: EUR, capacity: 1000 }\n",
    )
    .action(act(deps, runEventCreate));
}
