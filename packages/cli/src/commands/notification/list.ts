import type { Command } from "commander";
import { notification as pb } from "@ticketing/sdk";
import type { Deps, Run } from "../../deps.js";
import { enumName, positiveInt, time } from "../../format.js";
import { act, examples } from "../shared.js";

async function runNotificationList(r: Run, opts: { order?: string; user?: string; limit: string }): Promise<void> {
  const { notifications } = await (await r.client()).notifications.listNotifications({
    orderId: opts.order ?? "",
    userId: opts.user ?? "",
    pageSize: positiveInt(opts.limit, "--limit", 500),
  });
  r.out.list(pb.NotificationSchema, notifications, [
    { header: "CREATED", value: (n) => time(n.createdAt) },
    { header: "ORDER ID", value: (n) => n.orderId },
    { header: "CHANNEL", value: (n) => enumName(pb.NotificationChannel, n.channel, "") },
    { header: "STATUS", value: (n) => enumName(pb.DeliveryStatus, n.deliveryStatus, "") },
    { header: "TRIES", value: (n) => String(n.attempts), align: "right" },
    { header: "SUBJECT", value: (n) => n.subject },
  ], "no notifications");
}

export function register(parent: Command, deps: Deps): void {
  parent
    .command("list")
    .description("List notifications of an order or a user (yours, unless you are an admin)")
    .option("-o, --order <order-id>", "only this order's")
    .option("-u, --user <user-id>", "only this user's (admins)")
    .option("-l, --limit <n>", "at most this many", "50")
    .addHelpText("after", examples("ticketctl notification list", "ticketctl notification list --order 9d2e… --json"))
    .action(act(deps, runNotificationList));
}
