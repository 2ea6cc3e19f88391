import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { checkout as pb } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import { lineTotal, type OrderLine, type OrderSnapshot, type OrderStatus } from "./domain/order.js";
import type { CartLine } from "./ports.js";
import { MAX_LINE_QUANTITY, type CheckoutService } from "./service.js";

const STATUS_TO_PB: Record<OrderStatus, pb.OrderStatus> = {
  PLACING: pb.OrderStatus.PLACING,
  PENDING_PAYMENT: pb.OrderStatus.PENDING_PAYMENT,
  PAID: pb.OrderStatus.PAID,
  CANCELLED: pb.OrderStatus.CANCELLED,
  EXPIRED: pb.OrderStatus.EXPIRED,
  FAILED: pb.OrderStatus.FAILED,
};
const STATUS_FROM_PB = new Map(Object.entries(STATUS_TO_PB).map(([k, v]) => [v, k as OrderStatus]));

const money = (amountMinor: bigint, currency: string) => ({ amountMinor, currency });

export function orderToPb(o: OrderSnapshot): pb.Order {
  return create(pb.OrderSchema, {
    id: o.id,
    userId: o.userId,
    status: STATUS_TO_PB[o.status],
    items: o.items.map((i: OrderLine) => ({
      ticketId: i.ticketId,
      eventId: i.eventId,
      ticketName: i.ticketName,
      quantity: i.quantity,
      unitPrice: money(i.unitPriceMinor, i.currency),
      lineTotal: money(lineTotal(i), i.currency),
    })),
    total: money(o.totalMinor, o.currency),
    ...(o.expiresAt ? { expiresAt: timestampFromDate(o.expiresAt) } : {}),
    createdAt: timestampFromDate(o.createdAt),
    updatedAt: timestampFromDate(o.updatedAt),
    statusReason: o.statusReason,
    paymentReference: o.paymentReference,
  });
}

function cartToPb(userId: string, lines: CartLine[]): pb.Cart {
  const currency = lines[0]?.currency;
  const updated = lines.reduce<Date | undefined>((max, l) => (!max || l.updatedAt > max ? l.updatedAt : max), undefined);
  return create(pb.CartSchema, {
    userId,
    items: lines.map((l) => ({
      ticketId: l.ticketId,
      eventId: l.eventId,
      ticketName: l.ticketName,
      quantity: l.quantity,
      unitPrice: money(l.unitPriceMinor, l.currency),
    })),
    ...(currency ? { total: money(lines.reduce((sum, l) => sum + lineTotal(l), 0n), currency) } : {}),
    ...(updated ? { updatedAt: timestampFromDate(updated) } : {}),
  });
}

/** Translates CheckoutService RPCs to use cases: validation and proto ↔ domain, nothing else. */
export function checkoutHandler(service: CheckoutService): ServiceImpl<typeof pb.CheckoutService> {
  return {
    async getOrder(req, ctx) {
      new Validator().uuid("order_id", req.orderId).check();
      return { order: orderToPb(await service.order(callerOf(ctx), req.orderId.toLowerCase())) };
    },

    async listOrders(req, ctx) {
      const size = pageSize(req.pageSize);
      const status = req.status === pb.OrderStatus.UNSPECIFIED ? undefined : STATUS_FROM_PB.get(req.status);
      if (req.status !== pb.OrderStatus.UNSPECIFIED && !status) new Validator().fail("status", "is not a known status").check();
      const after = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const rows = await service.listOrders(callerOf(ctx), undefined, status, after, size + 1);
      const page = paginate(rows, size, (o) => [o.createdAt.toISOString(), o.id]);
      return { orders: page.items.map(orderToPb), nextPageToken: page.next };
    },

    async getUserCart(_req, ctx) {
      const caller = callerOf(ctx);
      return { cart: cartToPb(caller.sub, await service.cart(caller.sub)) };
    },

    async addToCart(req, ctx) {
      new Validator()
        .uuid("ticket_id", req.ticketId)
        .int("quantity", req.quantity, 1, MAX_LINE_QUANTITY)
        .text("idempotency_key", req.idempotencyKey, 0, 200)
        .check();
      const caller = callerOf(ctx);
      const lines = await service.addToCart(caller.sub, req.idempotencyKey || randomUUID(), req.ticketId.toLowerCase(), req.quantity);
      return { cart: cartToPb(caller.sub, lines) };
    },

    async updateCart(req, ctx) {
      new Validator()
        .uuid("ticket_id", req.ticketId)
        .int("quantity", req.quantity, 0, MAX_LINE_QUANTITY)
        .text("idempotency_key", req.idempotencyKey, 0, 200)
        .check();
      const caller = callerOf(ctx);
      const lines = await service.updateCart(caller.sub, req.idempotencyKey || randomUUID(), req.ticketId.toLowerCase(), req.quantity);
      return { cart: cartToPb(caller.sub, lines) };
    },

    async placeOrder(req, ctx) {
      new Validator().text("idempotency_key", req.idempotencyKey, 0, 200).check();
      const left = ctx.timeoutMs();
      const order = await service.placeOrder(callerOf(ctx).sub, req.idempotencyKey || randomUUID(), left === undefined ? undefined : Date.now() + left);
      return { order: orderToPb(order) };
    },

    async markOrderAsPaid(req, ctx) {
      new Validator().uuid("order_id", req.orderId).text("payment_reference", req.paymentReference, 1, 200).check();
      const order = await service.markPaid(callerOf(ctx), req.orderId.toLowerCase(), req.paymentReference.trim());
      return { order: orderToPb(order) };
    },

    async cancelOrder(req, ctx) {
      new Validator().uuid("order_id", req.orderId).text("reason", req.reason, 0, 500).check();
      return { order: orderToPb(await service.cancel(callerOf(ctx), req.orderId.toLowerCase(), req.reason.trim())) };
    },

    async *watchOrder(req, ctx) {
      new Validator().uuid("order_id", req.orderId).check();
      for await (const order of service.watch(callerOf(ctx), req.orderId.toLowerCase(), ctx.signal)) {
        yield { order: orderToPb(order) };
      }
      // The caller's deadline or cancellation ended the watch, not a final state: the stream must say so.
      if (ctx.signal.aborted) throw ctx.signal.reason;
    },
  };
}
