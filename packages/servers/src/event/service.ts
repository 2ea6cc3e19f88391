import { DomainError, notFound } from "../platform/errors.js";
import { PG, pgCode, type Em } from "../platform/db.js";
import type { Logger } from "../platform/logger.js";
import type { Event, TicketType } from "./entities.js";
import * as repo from "./repository.js";

/** What the event service needs from the booking service. */
export interface StockGateway {
  /** Creates the stock of a ticket type; idempotent. */
  createStock(ticketId: string, eventId: string, total: number): Promise<void>;
  /** Deletes the stock of a ticket type; a missing stock is not an error. */
  deleteStock(ticketId: string): Promise<void>;
}

export interface NewTicketType {
  name: string;
  priceMinor: bigint;
  currency: string;
  capacity: number;
}

export interface NewEvent {
  name: string;
  description: string;
  venueName: string;
  venueLocation: string;
  startsAt: Date;
  endsAt: Date;
  ticketTypes: NewTicketType[];
}

/** Use cases of the catalogue. */
export class EventService {
  constructor(
    private readonly em: Em,
    private readonly stock: StockGateway,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates an event and the stock of each of its ticket types (a small saga):
   * 1. the event is stored as CREATING (invisible to readers), keyed by (creator, idempotency key);
   * 2. the booking service creates each stock (idempotent calls);
   * 3. the event becomes ACTIVE.
   * If step 2 fails, the stocks made so far and the event are deleted again; if even that fails, the event stays
   * CREATING and hidden, and a retry with the same key finishes the job. A retry of a finished creation returns it.
   */
  async create(creator: string, idempotencyKey: string, requestHash: string, input: NewEvent): Promise<Event> {
    let event = await this.#findByKey(creator, idempotencyKey);
    if (event && event.requestHash !== requestHash) {
      throw new DomainError("InvalidArgument", "idempotency_key was already used for a different CreateEvent request");
    }
    if (event?.status === "ACTIVE") return event;
    event ??= await this.#insertCreating(creator, idempotencyKey, requestHash, input);

    const ticketTypes = event.ticketTypes.getItems();
    try {
      for (const tt of ticketTypes) await this.stock.createStock(tt.id, event.id, tt.capacity);
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

  async get(id: string): Promise<Event> {
    const event = await repo.findActive(this.em.fork(), id);
    if (!event) throw notFound("event", id);
    return event;
  }

  /** Active events by (starts_at, id), after the given key. */
  list(after: [Date, string] | undefined, limit: number): Promise<Event[]> {
    return repo.listActive(this.em.fork(), after, limit);
  }

  async getTicket(id: string): Promise<TicketType> {
    const tt = await repo.findActiveTicket(this.em.fork(), id);
    if (!tt) throw notFound("ticket", id);
    return tt;
  }
}
