import { toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { event as pb } from "@ticketing/sdk";
import { createHash, randomUUID } from "node:crypto";
import { callerOf } from "../platform/auth.js";
import { decodePageToken, pageSize, paginate } from "../platform/page.js";
import { Validator } from "../platform/validate.js";
import { MAX_CAPACITY, MAX_PRICE_MINOR, MAX_STOCK_BUCKETS, MAX_TICKET_TYPES } from "./domain/event.js";
import type { EventService } from "./service.js";
import { eventToPb, ticketTypeToPb } from "./mapping.js";

export function eventHandler(service: EventService): ServiceImpl<typeof pb.EventService> {
  return {
    async createEvent(req, ctx) {
      const v = new Validator()
        .text("name", req.name, 1, 200)
        .text("description", req.description, 0, 5000)
        .text("venue.name", req.venue?.name ?? "", 0, 200)
        .text("venue.location", req.venue?.location ?? "", 0, 500)
        .text("idempotency_key", req.idempotencyKey, 0, 200);
      if (!req.startsAt) v.fail("starts_at", "is required");
      if (!req.endsAt) v.fail("ends_at", "is required");
      const known = v.violations.length;
      v.timestamp("starts_at", req.startsAt).timestamp("ends_at", req.endsAt);
      const inRange = v.violations.length === known;
      const startsAt = inRange && req.startsAt ? timestampDate(req.startsAt) : undefined;
      const endsAt = inRange && req.endsAt ? timestampDate(req.endsAt) : undefined;
      if (startsAt && endsAt && endsAt <= startsAt) v.fail("ends_at", "must be after starts_at");
      if (req.ticketTypes.length === 0 || req.ticketTypes.length > MAX_TICKET_TYPES) {
        v.fail("ticket_types", `must have 1 to ${MAX_TICKET_TYPES} ticket types`);
      }
      const names = new Set<string>();
      req.ticketTypes.forEach((tt, i) => {
        v.text(`ticket_types[${i}].name`, tt.name, 1, 100)
          .int(`ticket_types[${i}].capacity`, tt.capacity, 1, MAX_CAPACITY)
          .int(`ticket_types[${i}].stock_buckets`, tt.stockBuckets, 0, Math.min(MAX_STOCK_BUCKETS, Math.max(1, tt.capacity)));
        if (names.has(tt.name.trim())) v.fail(`ticket_types[${i}].name`, "appears twice");
        names.add(tt.name.trim());
        if (!tt.price) v.fail(`ticket_types[${i}].price`, "is required");
        else {
          v.int(`ticket_types[${i}].price.amount_minor`, tt.price.amountMinor, 0, Number(MAX_PRICE_MINOR));
          if (!/^[A-Z]{3}$/.test(tt.price.currency)) {
            v.fail(`ticket_types[${i}].price.currency`, "must be an ISO 4217 code like EUR");
          }
        }
      });
      v.check();
      const hash = createHash("sha256")
        .update(toBinary(pb.CreateEventRequestSchema, { ...req, idempotencyKey: "" }))
        .digest("hex");
      const created = await service.create(callerOf(ctx).sub, req.idempotencyKey || randomUUID(), hash, {
        name: req.name.trim(),
        description: req.description,
        venueName: req.venue?.name ?? "",
        venueLocation: req.venue?.location ?? "",
        startsAt: startsAt as Date,
        endsAt: endsAt as Date,
        ticketTypes: req.ticketTypes.map((tt) => ({
          name: tt.name.trim(),
          priceMinor: tt.price?.amountMinor ?? 0n,
          currency: tt.price?.currency ?? "",
          capacity: tt.capacity,
          stockBuckets: tt.stockBuckets || 1,
        })),
      });
      return { event: eventToPb(created) };
    },

    async getEvent(req) {
      new Validator().uuid("event_id", req.eventId).check();
      return { event: eventToPb(await service.get(req.eventId.toLowerCase())) };
    },

    async listEvents(req) {
      const size = pageSize(req.pageSize);
      const token = decodePageToken(req.pageToken, ["timestamp", "uuid"]);
      const after = token ? ([new Date(token[0] as string), token[1] as string] as [Date, string]) : undefined;
      if (after && Number.isNaN(after[0].getTime())) new Validator().fail("page_token", "is not valid").check();
      const rows = await service.list(after, size + 1);
      const page = paginate(rows, size, (e) => [e.startsAt.toISOString(), e.id]);
      return { events: page.items.map(eventToPb), nextPageToken: page.next };
    },

    async getTicket(req) {
      new Validator().uuid("ticket_id", req.ticketId).check();
      return { ticketType: ticketTypeToPb(await service.getTicket(req.ticketId.toLowerCase())) };
    },
  };
}
