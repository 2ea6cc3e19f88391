import { checkout as pb, type common } from "@ticketing/sdk";
import type { Run } from "../../deps.js";
import { money } from "../../format.js";
import { table, type Column } from "../../output.js";

/** The columns a cart's items and an order's items share. */
export const lineColumns: Column<{ ticketId: string; ticketName: string; quantity: number; unitPrice?: common.Money | undefined }>[] = [
  { header: "TICKET ID", value: (i) => i.ticketId },
  { header: "NAME", value: (i) => i.ticketName },
  { header: "QTY", value: (i) => String(i.quantity), align: "right" },
  { header: "UNIT PRICE", value: (i) => money(i.unitPrice), align: "right" },
];

function renderCart(cart: pb.Cart | undefined): string {
  if (!cart || cart.items.length === 0) return "the cart is empty";
  return `${table(cart.items, lineColumns)}\ntotal ${money(cart.total)}`;
}

export const showCart = (r: Run, cart: pb.Cart | undefined) => r.out.message(pb.CartSchema, cart, () => renderCart(cart));
