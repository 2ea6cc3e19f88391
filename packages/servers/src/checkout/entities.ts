import { defineEntity, p } from "@mikro-orm/core";
import type { TablesOf } from "../platform/db.js";
import { outboxEntities } from "../platform/outbox-entities.js";
import { requestKeyEntities } from "../platform/request-key-entities.js";
import type { FailureKind, OrderStatus } from "./domain/order.js";

/** The columns a cart line and an order line share: what was bought, at which price. */
const lineColumns = () => ({
  ticketId: p.uuid().primary(),
  eventId: p.uuid(),
  ticketName: p.text(),
  quantity: p.integer(),
  unitPriceMinor: p.bigint("bigint"),
  currency: p.string().columnType("char(3)"),
});

const CartItemSchema = defineEntity({
  name: "CartItem",
  tableName: "cart_item",
  checks: [
    { name: "cart_item_quantity_range", expression: "quantity >= 1 and quantity <= 100" },
    { name: "cart_item_price_non_negative", expression: "unit_price_minor >= 0" },
  ],
  properties: {
    userId: p.text().primary(),
    ...lineColumns(),
    addedAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
  },
});
class CartItem extends CartItemSchema.class {}
CartItemSchema.setClass(CartItem);

const OrderSchema = defineEntity({
  name: "OrderRecord",
  tableName: "order",
  checks: [
    { name: "order_status_known", expression: "status in ('PLACING', 'PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'FAILED', 'REFUNDED')" },
    { name: "order_total_non_negative", expression: "total_minor >= 0" },
    {
      name: "order_failure_kind_known",
      expression: "failure_kind is null or failure_kind in ('ResourceExhausted', 'Unavailable', 'FailedPrecondition', 'NotFound')",
    },
  ],
  uniques: [{ name: "order_idempotency", properties: ["userId", "idempotencyKey"] }],
  indexes: [
    // Written as SQL: MikroORM 7.2.1 reads the sort order of "id" back from "user_id" when it introspects this index,
    // so a declared (user_id, created_at desc, id desc) would be seen as changed on every comparison.
    {
      name: "order_user_listing_index",
      expression: `create index "order_user_listing_index" on "checkout"."order" (user_id, created_at desc, id desc)`,
    },
    { name: "order_listing_index", columns: [{ name: "created_at", sort: "desc" }, { name: "id", sort: "desc" }] },
    { name: "order_placing_index", properties: ["updatedAt"], where: "status = 'PLACING'" },
  ],
  properties: {
    id: p.uuid().primary(),
    userId: p.text(),
    status: p.text().$type<OrderStatus>(),
    totalMinor: p.bigint("bigint"),
    currency: p.string().columnType("char(3)"),
    expiresAt: p.datetime().nullable(),
    statusReason: p.text().default(""),
    /** Why a placement failed (FAILED orders only), so a retry is answered with the same code. */
    failureKind: p.text().$type<FailureKind>().nullable(),
    paymentReference: p.text().default(""),
    idempotencyKey: p.text(),
    createdAt: p.datetime().defaultRaw("now()"),
    updatedAt: p.datetime().defaultRaw("now()"),
    items: () => p.oneToMany(OrderItem).mappedBy("order"),
  },
});
class OrderRecord extends OrderSchema.class {}
OrderSchema.setClass(OrderRecord);

const OrderItemSchema = defineEntity({
  name: "OrderItem",
  tableName: "order_item",
  checks: [
    { name: "order_item_quantity_positive", expression: "quantity > 0" },
    { name: "order_item_price_non_negative", expression: "unit_price_minor >= 0" },
  ],
  properties: {
    order: () => p.manyToOne(OrderRecord).primary().deleteRule("cascade").foreignKeyName("order_item_order_id_fkey"),
    ...lineColumns(),
  },
});
class OrderItem extends OrderItemSchema.class {}
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
class IdempotentRequest extends IdempotentRequestSchema.class {}
IdempotentRequestSchema.setClass(IdempotentRequest);

export const checkoutEntities = [CartItemSchema, OrderSchema, OrderItemSchema, IdempotentRequestSchema, ...outboxEntities, ...requestKeyEntities];

/** Hand-written statements' view of the checkout schema. */
export type CheckoutTables = TablesOf<(typeof checkoutEntities)[number]>;
export type CheckoutEntity = (typeof checkoutEntities)[number];
