import { defineEntity, p } from "@mikro-orm/core";
import { outboxEntities } from "../platform/outbox-entities.js";

const CartItemSchema = defineEntity({
  name: "CartItem",
  tableName: "cart_item",
  properties: {
    userId: p.text().primary(),
    ticketId: p.uuid().primary(),
    eventId: p.uuid(),
    ticketName: p.text(),
    quantity: p.integer(),
    unitPriceMinor: p.bigint("bigint"),
    currency: p.string().length(3),
    addedAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
export class CartItem extends CartItemSchema.class {}
CartItemSchema.setClass(CartItem);

const OrderSchema = defineEntity({
  name: "OrderRecord",
  tableName: "order",
  properties: {
    id: p.uuid().primary(),
    userId: p.text(),
    status: p.text(),
    totalMinor: p.bigint("bigint"),
    currency: p.string().length(3),
    expiresAt: p.datetime().nullable(),
    statusReason: p.text().default(""),
    /** Why a placement failed (FAILED orders only), so a retry is answered with the same code. */
    failureKind: p.text().nullable(),
    paymentReference: p.text().default(""),
    idempotencyKey: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
    items: () => p.oneToMany(OrderItem).mappedBy("order"),
  },
});
export class OrderRecord extends OrderSchema.class {}
OrderSchema.setClass(OrderRecord);

const OrderItemSchema = defineEntity({
  name: "OrderItem",
  tableName: "order_item",
  properties: {
    order: () => p.manyToOne(OrderRecord).primary(),
    ticketId: p.uuid().primary(),
    eventId: p.uuid(),
    ticketName: p.text(),
    quantity: p.integer(),
    unitPriceMinor: p.bigint("bigint"),
    currency: p.string().length(3),
  },
});
export class OrderItem extends OrderItemSchema.class {}
OrderItemSchema.setClass(OrderItem);

const IdempotentRequestSchema = defineEntity({
  name: "IdempotentRequest",
  tableName: "idempotent_request",
  properties: {
    userId: p.text().primary(),
    operation: p.text().primary(),
    key: p.text().primary(),
    createdAt: p.datetime().defaultRaw("now()"),
  },
});
export class IdempotentRequest extends IdempotentRequestSchema.class {}
IdempotentRequestSchema.setClass(IdempotentRequest);

export const checkoutEntities = [CartItemSchema, OrderSchema, OrderItemSchema, IdempotentRequestSchema, ...outboxEntities];
