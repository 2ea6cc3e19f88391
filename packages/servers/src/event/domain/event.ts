// The catalogue as the domain sees it. An event becomes visible (ACTIVE) once the stock of every ticket type
// exists, and from then on nothing in it changes: v1 has no RPC that edits an event or a ticket type. Readers may
// therefore keep what they have read for as long as they like (see docs/adr/0005-hot-path.md).

export interface TicketTypeSnapshot {
  id: string;
  eventId: string;
  name: string;
  priceMinor: bigint;
  currency: string;
  capacity: number;
  /** How many rows the booking service splits this ticket type's stock over. */
  stockBuckets: number;
}

export interface EventSnapshot {
  id: string;
  name: string;
  description: string;
  venueName: string;
  venueLocation: string;
  startsAt: Date;
  endsAt: Date;
  createdAt: Date;
  ticketTypes: TicketTypeSnapshot[];
}

/** What CreateEvent asks for: an event and its ticket types before they have ids. */
type NewTicketType = Omit<TicketTypeSnapshot, "id" | "eventId">;
export type NewEvent = Omit<EventSnapshot, "id" | "createdAt" | "ticketTypes"> & { ticketTypes: NewTicketType[] };

export const MAX_TICKET_TYPES = 50;
export const MAX_CAPACITY = 1_000_000;
export const MAX_STOCK_BUCKETS = 64;
/** 10^13 minor units: far above any ticket, far below float trouble. */
export const MAX_PRICE_MINOR = 10_000_000_000_000n;
