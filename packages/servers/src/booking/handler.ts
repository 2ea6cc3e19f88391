import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { booking as pb } from "@ticketing/sdk";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import { MAX_ITEMS_PER_ORDER, MAX_QUANTITY_PER_ITEM, MAX_STOCK_BUCKETS, MAX_STOCK_TOTAL, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from "./domain/booking.js";
import type { BookingService } from "./service.js";
import { STATUS_FROM_PB, bookingToPb, stockToPb } from "./mapping.js";

export function bookingHandler(service: BookingService): ServiceImpl<typeof pb.BookingService> {
  return {
    async createBooking(req, ctx) {
      const v = new Validator().uuid("order_id", req.orderId);
      if (req.items.length === 0 || req.items.length > MAX_ITEMS_PER_ORDER) {
        v.fail("items", `must have 1 to ${MAX_ITEMS_PER_ORDER} items`);
      }
      const seen = new Set<string>();
      req.items.forEach((item, i) => {
        v.uuid(`items[${i}].ticket_id`, item.ticketId).int(`items[${i}].quantity`, item.quantity, 1, MAX_QUANTITY_PER_ITEM);
        if (seen.has(item.ticketId)) v.fail(`items[${i}].ticket_id`, "appears twice");
        seen.add(item.ticketId);
      });
      let ttlSeconds: number | undefined;
      if (req.ttl) {
        ttlSeconds = Number(req.ttl.seconds) + req.ttl.nanos / 1e9;
        if (v.duration("ttl", req.ttl) && !(ttlSeconds >= MIN_TTL_SECONDS && ttlSeconds <= MAX_TTL_SECONDS)) {
          v.fail("ttl", `must be from ${MIN_TTL_SECONDS} s to ${MAX_TTL_SECONDS} s`);
        }
      }
      v.check();
      const items = req.items.map((i) => ({ ticketId: i.ticketId.toLowerCase(), quantity: i.quantity }));
      const left = ctx.timeoutMs();
      const result = await service.hold(req.orderId.toLowerCase(), items, ttlSeconds, left === undefined ? undefined : Date.now() + left);
      return { bookings: result.bookings.map(bookingToPb), expiresAt: timestampFromDate(result.expiresAt) };
    },

    async getBookings(req) {
      new Validator().optionalUuid("order_id", req.orderId).check();
      const size = pageSize(req.pageSize);
      const status = req.status === pb.BookingStatus.UNSPECIFIED ? undefined : STATUS_FROM_PB.get(req.status);
      if (req.status !== pb.BookingStatus.UNSPECIFIED && status === undefined) {
        new Validator().fail("status", "is not a known status").check();
      }
      const after = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const rows = await service.listBookings({ orderId: req.orderId || undefined, status }, after, size + 1);
      const page = paginate(rows, size, (b) => [b.createdAt.toISOString(), b.id]);
      return { bookings: page.items.map(bookingToPb), nextPageToken: page.next };
    },

    async confirmBookings(req) {
      new Validator().uuid("order_id", req.orderId).text("payment_reference", req.paymentReference, 0, 200).check();
      return { bookings: (await service.confirm(req.orderId.toLowerCase(), req.paymentReference.trim())).map(bookingToPb) };
    },

    async expireBookings(req) {
      const v = new Validator();
      if (req.allDue === (req.bookingIds.length > 0)) {
        v.fail("booking_ids", "give either booking_ids or all_due, not both and not neither");
      }
      if (req.bookingIds.length > 500) v.fail("booking_ids", "at most 500 ids");
      req.bookingIds.forEach((id, i) => v.uuid(`booking_ids[${i}]`, id));
      if (req.allDue) v.int("limit", req.limit, 0, 5000);
      v.check();
      const expired = req.allDue
        ? await service.expireDue(req.limit || 500)
        : await service.expireIds(req.bookingIds.map((id) => id.toLowerCase()));
      return { bookings: expired.map(bookingToPb) };
    },

    async deleteOrderBookings(req) {
      new Validator().uuid("order_id", req.orderId).check();
      return { bookings: (await service.release(req.orderId.toLowerCase())).map(bookingToPb) };
    },

    async createStock(req) {
      new Validator()
        .uuid("ticket_id", req.ticketId)
        .uuid("event_id", req.eventId)
        .int("total", req.total, 1, MAX_STOCK_TOTAL)
        .int("buckets", req.buckets, 0, Math.min(MAX_STOCK_BUCKETS, Math.max(1, req.total)))
        .check();
      const stock = await service.createStock(req.ticketId.toLowerCase(), req.eventId.toLowerCase(), req.total, req.buckets || 1);
      return { stock: stockToPb(stock) };
    },

    async getStocks(req) {
      new Validator().optionalUuid("event_id", req.eventId).check();
      const size = pageSize(req.pageSize);
      const after = decodePageToken(req.pageToken, ["uuid", "uuid"]);
      const rows = await service.listStocks(req.eventId.toLowerCase() || undefined, after, size + 1);
      const page = paginate(rows, size, (s) => [s.eventId, s.ticketId]);
      return { stocks: page.items.map(stockToPb), nextPageToken: page.next };
    },

    async getStock(req) {
      new Validator().uuid("ticket_id", req.ticketId).check();
      return { stock: stockToPb(await service.getStock(req.ticketId.toLowerCase())) };
    },

    async deleteStock(req) {
      new Validator().uuid("ticket_id", req.ticketId).check();
      await service.deleteStock(req.ticketId.toLowerCase());
      return {};
    },
  };
}
