// The event service's mapping between its domain types and the protobuf messages, in both directions: the
// handlers and the events use it, nothing else converts.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { event as pb } from "@ticketing/sdk";
import { type EventSnapshot, type TicketTypeSnapshot } from "./domain/event.js";

export function ticketTypeToPb(tt: TicketTypeSnapshot): pb.TicketType {
  return create(pb.TicketTypeSchema, {
    id: tt.id,
    eventId: tt.eventId,
    name: tt.name,
    price: { amountMinor: tt.priceMinor, currency: tt.currency },
    capacity: tt.capacity,
  });
}

export function eventToPb(e: EventSnapshot): pb.Event {
  return create(pb.EventSchema, {
    id: e.id,
    name: e.name,
    description: e.description,
    // No venue reads as no venue ("venue": {} in JSON looked like a bug), not as one with empty fields.
    ...(e.venueName || e.venueLocation ? { venue: { name: e.venueName, location: e.venueLocation } } : {}),
    startsAt: timestampFromDate(e.startsAt),
    endsAt: timestampFromDate(e.endsAt),
    ticketTypes: e.ticketTypes.map(ticketTypeToPb),
    createdAt: timestampFromDate(e.createdAt),
  });
}

/** Translates EventService RPCs to use cases: validation and proto ↔ domain, nothing else. */
