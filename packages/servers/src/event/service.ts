import { BoundedMap } from "../platform/bounded-map.js";
import { DomainError, notFound } from "../platform/errors.js";
import { detached, PG, pgCode, type Em } from "../platform/db.js";
import type { Logger } from "../platform/logger.js";
import type { EventSnapshot, NewEvent, TicketTypeSnapshot } from "./domain/event.js";
import type { Event, TicketType } from "./entities.js";
import * as repo from "./repository.js";

/** What the event service needs from the booking service. */
export interface StockGateway {
  /** Creates the stock of a ticket type, split over `buckets` rows; idempotent. */
  createStock(ticketId: string, eventId: string, total: number, buckets: number): Promise<void>;
  /** Deletes the stock of a ticket type; a missing stock is not an error. */
  deleteStock(ticketId: string): Promise<void>;
}

/** Use cases of the catalogue. */
export class EventService {
  // Active events never change (the domain module says why), so what was read once is served from memory.
  readonly #events = new BoundedMap<string, EventSnapshot>(10_000);
  readonly #tickets = new BoundedMap<string, TicketTypeSnapshot>(50_000);

  private readonly em: Em;

  constructor(
    em: Em,
    private readonly stock: StockGateway,
    private readonly logger: Logger,
  ) {
    this.em = detached(em);
  }

  /**
   * Creates an event and the stock of each of its ticket types (a small saga):
   * 1. the event is stored as CREATING (invisible to readers), keyed by (creator, idempotency key);
   * 2. the booking service creates each stock (idempotent calls);
   * 3. the event becomes ACTIVE.
   * If step 2 fails, the stocks made so far and the event are deleted again; if even that fails, the event stays
   * CREATING and hidden, and a retry with the same key finishes the job. A retry of a finished creation returns it.
   */
  async create(creator: string, idempotencyKey: string, requestHash: string, input: NewEvent): Promise<EventSnapshot> {
    let event = await this.#findByKey(creator, idempotencyKey);
    if (event && event.requestHash !== requestHash) {
      throw new DomainError("InvalidArgument", "idempotency_key was already used for a different CreateEvent request");
    }
    if (event?.status === "ACTIVE") return snapshotOf(event);
    event ??= await this.#insertCreating(creator, idempotencyKey, requestHash, input);

    const ticketTypes = event.ticketTypes.getItems();
    try {
      for (const tt of ticketTypes) await this.stock.createStock(tt.id, event.id, tt.capacity, tt.stockBuckets);
    } catch (err) {
      await this.#undo(event, ticketTypes);
      throw err;
    }
    await repo.activate(this.em.fork(), event.id);
    return this.get(event.id);
  }

  #findByKey(createdBy: string, idempotencyKey: string): Promise<Event | null> {
    return repo.findByKey(this.em.fork(), createdBy, idempotencyKey);
  }

  async #insertCreating(creator: string, idempotencyKey: string, requestHash: string, input: NewEvent): Promise<Event> {
    try {
      return await repo.insertCreating(this.em.fork(), { ...input, createdBy: creator, idempotencyKey, requestHash });
    } catch (err) {
      // The same request raced itself: use the row the other call stored.
      if (pgCode(err) === PG.uniqueViolation) {
        const other = await this.#findByKey(creator, idempotencyKey);
        if (other) return other;
      }
      throw err;
    }
  }

  /**
   * Deletes the stocks made so far, then the event. When booking cannot be reached, whether a stock exists is
   * unknown, so the event is kept, hidden as CREATING, for a retry or for `cleanUpAbandoned` to finish.
   */
  async #undo(event: Event, ticketTypes: TicketType[]): Promise<boolean> {
    try {
      for (const tt of ticketTypes) await this.stock.deleteStock(tt.id);
      await repo.deleteCreating(this.em.fork(), event.id);
      return true;
    } catch (err) {
      this.logger.warn({ err, eventId: event.id }, "could not undo a failed event creation; it stays hidden until retried");
      return false;
    }
  }

  /** Undoes creations that stayed CREATING for longer than `olderThanMs` (their caller gave up). */
  async cleanUpAbandoned(olderThanMs: number): Promise<number> {
    const stale = await repo.findAbandoned(this.em.fork(), new Date(Date.now() - olderThanMs), 50);
    let undone = 0;
    for (const event of stale) {
      if (await this.#undo(event, event.ticketTypes.getItems())) undone++;
    }
    return undone;
  }

  async get(id: string): Promise<EventSnapshot> {
    const cached = this.#events.get(id);
    if (cached) return cached;
    const event = await repo.findActive(this.em.fork(), id);
    if (!event) throw notFound("event", id);
    return this.#remember(snapshotOf(event));
  }

  /** Active events by (starts_at, id), after the given key. */
  async list(after: [Date, string] | undefined, limit: number): Promise<EventSnapshot[]> {
    return (await repo.listActive(this.em.fork(), after, limit)).map(snapshotOf);
  }

  async getTicket(id: string): Promise<TicketTypeSnapshot> {
    const cached = this.#tickets.get(id);
    if (cached) return cached;
    const tt = await repo.findActiveTicket(this.em.fork(), id);
    if (!tt) throw notFound("ticket", id);
    const snapshot = ticketSnapshotOf(tt, tt.event.id);
    this.#tickets.set(id, snapshot);
    return snapshot;
  }

  #remember(event: EventSnapshot): EventSnapshot {
    this.#events.set(event.id, event);
    for (const tt of event.ticketTypes) this.#tickets.set(tt.id, tt);
    return event;
  }
}

function ticketSnapshotOf(tt: TicketType, eventId: string): TicketTypeSnapshot {
  return {
    id: tt.id,
    eventId,
    name: tt.name,
    priceMinor: BigInt(tt.priceMinor),
    currency: tt.currency,
    capacity: tt.capacity,
    stockBuckets: tt.stockBuckets,
  };
}

function snapshotOf(e: Event): EventSnapshot {
  return {
    id: e.id,
    name: e.name,
    description: e.description,
    venueName: e.venueName,
    venueLocation: e.venueLocation,
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    createdAt: e.createdAt,
    ticketTypes: e.ticketTypes.getItems().map((tt) => ticketSnapshotOf(tt, e.id)),
  };
}
