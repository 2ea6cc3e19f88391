import { checkout as pb } from "@ticketing/sdk";
import type { Run } from "../../deps.js";
import { enumName, money, time } from "../../format.js";
import { table } from "../../output.js";
import { lineColumns } from "../cart/render.js";

export const status = (o: pb.Order | undefined) => (o ? enumName(pb.OrderStatus, o.status, "") : "-");

function renderOrder(o: pb.Order | undefined): string {
  if (!o) return "(no order)";
  return [
    `order ${o.id}  ${status(o)}${o.statusReason ? ` (${o.statusReason})` : ""}`,
    `buyer ${o.userId}, total ${money(o.total)}${o.expiresAt && o.status === pb.OrderStatus.PENDING_PAYMENT ? `, pay before ${time(o.expiresAt)}` : ""}`,
    ...(o.paymentReference ? [`payment ${o.paymentReference}`] : []),
    "",
    table(o.items, [...lineColumns, { header: "LINE TOTAL", value: (i) => money(i.lineTotal), align: "right" }]),
  ].join("\n");
}

export const showOrder = (r: Run, o: pb.Order | undefined) => r.out.message(pb.OrderSchema, o, () => renderOrder(o));
