// The checkout service's mapping between its domain types and the protobuf messages, in both directions: the
// handlers and the events use it, nothing else converts.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { checkout as pb } from "@ticketing/sdk";
import { lineTotal, type OrderLine, type OrderSnapshot, type OrderStatus } from "./domain/order.js";
import type { CartLine } from "./ports.js";

const STATUS_TO_PB: Record<OrderStatus, pb.OrderStatus> = {
  PLACING: pb.OrderStatus.PLACING,
  PENDING_PAYMENT: pb.OrderStatus.PENDING_PAYMENT,
  PAID: pb.OrderStatus.PAID,
  CANCELLED: pb.OrderStatus.CANCELLED,
  EXPIRED: pb.OrderStatus.EXPIRED,
  FAILED: pb.OrderStatus.FAILED,
  REFUNDED: pb.OrderStatus.REFUNDED,
};
export const STATUS_FROM_PB = new Map(Object.entries(STATUS_TO_PB).map(([k, v]) => [v, k as OrderStatus]));

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

export function cartToPb(userId: string, lines: CartLine[]): pb.Cart {
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
