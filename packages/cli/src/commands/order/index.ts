import type { Command } from "commander";
import { checkout as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { CliError, EXIT } from "../../errors.js";
import { enumName, money, positiveInt, time } from "../../format.js";
import { table } from "../../output.js";
import { act, examples } from "../shared.js";
import { runOrderWatch } from "./watch.js";

export const status = (o: pb.Order | undefined) => (o ? enumName(pb.OrderStatus, o.status, "") : "-");

/** The human-readable rendering used when --json is not given. */
export function renderOrder(o: pb.Order | undefined): string {
  if (!o) return "(no order)";
  return [
    `order ${o.id}  ${status(o)}${o.statusReason ? ` (${o.statusReason})` : ""}`,
    `buyer ${o.userId}, total ${money(o.total)}${o.expiresAt && o.status === pb.OrderStatus.PENDING_PAYMENT ? `, pay before ${time(o.expiresAt)}` : ""}`,
    ...(o.paymentReference ? [`payment ${o.paymentReference}`] : []),
    "",
    table(o.items, [
      { header: "TICKET ID", value: (i) => i.ticketId },
      { header: "NAME", value: (i) => i.ticketName },
      { header: "QTY", value: (i) => String(i.quantity), align: "right" },
      { header: "UNIT PRICE", value: (i) => money(i.unitPrice), align: "right" },
      { header: "LINE TOTAL", value: (i) => money(i.lineTotal), align: "right" },
    ]),
  ].join("\n");
}

const show = (r: Run, o: pb.Order | undefined) => r.out.message(pb.OrderSchema, o, () => renderOrder(o));

/** Runs `ticketctl order place` with the given run context and arguments. */
export async function runOrderPlace(r: Run, opts: { idempotencyKey?: string }): Promise<void> {
  show(r, (await (await r.client()).checkout.placeOrder(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {})).order);
}

/** Runs `ticketctl order get` with the given run context and arguments. */
export async function runOrderGet(r: Run, orderId: string): Promise<void> {
  show(r, (await (await r.client()).checkout.getOrder({ orderId })).order);
}

/** Runs `ticketctl order list` with the given run context and arguments. */
export async function runOrderList(r: Run, opts: { status?: string; limit: string }): Promise<void> {
  let statusFilter = pb.OrderStatus.UNSPECIFIED;
  if (opts.status) {
    const value = pb.OrderStatus[opts.status.toUpperCase() as keyof typeof pb.OrderStatus];
    if (typeof value !== "number") throw new CliError("--status must be one of PENDING_PAYMENT, PAID, CANCELLED, EXPIRED, FAILED", EXIT.usage);
    statusFilter = value;
  }
  const { orders } = await (await r.client()).checkout.listOrders({ status: statusFilter, pageSize: positiveInt(opts.limit, "--limit", 500) });
  r.out.list(pb.OrderSchema, orders, [
    { header: "ID", value: (o) => o.id },
    { header: "STATUS", value: (o) => status(o) },
    { header: "BUYER", value: (o) => o.userId },
    { header: "TOTAL", value: (o) => money(o.total), align: "right" },
    { header: "CREATED", value: (o) => time(o.createdAt) },
  ], "no orders");
}

/** Runs `ticketctl order pay` with the given run context and arguments. */
export async function runOrderPay(r: Run, orderId: string, opts: { reference: string }): Promise<void> {
  show(r, (await (await r.client()).checkout.markOrderAsPaid({ orderId, paymentReference: opts.reference })).order);
}

/** Runs `ticketctl order cancel` with the given run context and arguments. */
export async function runOrderCancel(r: Run, orderId: string, opts: { reason?: string }): Promise<void> {
  show(r, (await (await r.client()).checkout.cancelOrder({ orderId, reason: opts.reason ?? "" })).order);
}

/** Registers the `ticketctl order` command(s) on their parent. */
export function register(parent: Command, deps: Deps): void {
  parent
    .command("place")
    .description("Turn your cart into an order; its tickets are held until the order is paid or expires")
    .option("--idempotency-key <key>", "a retried place returns the first order")
    .addHelpText("after", examples("ticketctl order place", "ticketctl order place --idempotency-key checkout-42 --json"))
    .action(act(deps, runOrderPlace));
  parent.command("get").description("Show one order").argument("<order-id>").addHelpText("after", examples("ticketctl order get 9d2e…")).action(act(deps, runOrderGet));
  parent
    .command("list")
    .description("List your orders (an admin's: everyone's), newest first")
    .option("-s, --status <status>", "only orders in this status, e.g. PAID")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl order list", "ticketctl order list --status PENDING_PAYMENT --json"))
    .action(act(deps, runOrderList));
  parent
    .command("pay")
    .description("Record the payment of an order (admin / payment webhook); its tickets become sold")
    .argument("<order-id>")
    .requiredOption("-r, --reference <ref>", "the payment provider's reference")
    .addHelpText("after", examples("ticketctl order pay 9d2e… --reference psp_123"))
    .action(act(deps, runOrderPay));
  parent
    .command("cancel")
    .description("Cancel an unpaid order; its tickets go back on sale")
    .argument("<order-id>")
    .option("--reason <text>", "shown on the order")
    .addHelpText("after", examples("ticketctl order cancel 9d2e…", "ticketctl order cancel 9d2e… --reason 'duplicate'"))
    .action(act(deps, runOrderCancel));
  parent
    .command("watch")
    .description("Follow an order live until it is paid, cancelled, expired or failed")
    .argument("<order-id>")
    .addHelpText("after", examples("ticketctl order watch 9d2e…", "ticketctl order watch 9d2e… --json   # one JSON object per change"))
    .action(act(deps, runOrderWatch));
}
