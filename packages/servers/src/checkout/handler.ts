import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { checkout as pb } from "@ticketing/sdk";
import { randomUUID } from "node:crypto";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import { MAX_LINE_QUANTITY, type CheckoutService } from "./service.js";
import { STATUS_FROM_PB, cartToPb, orderToPb } from "./mapping.js";

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

    async markOrderAsRefunded(req, ctx) {
      new Validator()
        .uuid("order_id", req.orderId)
        .text("refund_reference", req.refundReference, 1, 200)
        .text("reason", req.reason, 0, 500)
        .check();
      const order = await service.markRefunded(callerOf(ctx), req.orderId.toLowerCase(), req.refundReference.trim(), req.reason.trim());
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
      // The caller's deadline or cancellation ended the watch, not a final state: the stream must say so. A client
      // that went away (a browser leaving the page) aborts with a plain AbortError: that is CANCELED, not a bug.
      if (ctx.signal.aborted) {
        const reason: unknown = ctx.signal.reason;
        throw reason instanceof ConnectError ? reason : new ConnectError("the client cancelled the watch", Code.Canceled);
      }
    },
  };
}
