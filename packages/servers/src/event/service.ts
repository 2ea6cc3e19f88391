import { randomUUID } from "node:crypto";
import { DomainError, notFound } from "../platform/errors.js";
import { PG, pgCode, type Em } from "../platform/db.js";
import type { Logger } from "../platform/logger.js";
import { Event, TicketType } from "./entities.js";

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
    const em = this.em.fork();
    await em.nativeUpdate(Event, { id: event.id }, { status: "ACTIVE" });
    return this.get(event.id);
  }

  async #findByKey(createdBy: string, idempotencyKey: string): Promise<Event | null> {
    return this.em.fork().findOne(Event, { createdBy, idempotencyKey }, { populate: ["ticketTypes"] });
  }

  async #insertCreating(creator: string, idempotencyKey: string, requestHash: string, input: NewEvent): Promise<Event> {
    const em = this.em.fork();
    const event = em.create(Event, {
      id: randomUUID(),
      name: input.name,
      description: input.description,
      venueName: input.venueName,
      venueLocation: input.venueLocation,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      status: "CREATING",
      createdBy: creator,
      idempotencyKey,
      requestHash,
      createdAt: new Date(),
    });
    input.ticketTypes.forEach((tt, position) =>
      em.create(TicketType, {
        id: randomUUID(),
        event,
        name: tt.name,
        priceMinor: tt.priceMinor,
        currency: tt.currency,
        capacity: tt.capacity,
        position,
      }),
    );
    try {
      await em.flush();
      return event;
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
      await this.em.fork().nativeDelete(Event, { id: event.id, status: "CREATING" });
      return true;
    } catch (err) {
      this.logger.warn({ err, eventId: event.id }, "could not undo a failed event creation; it stays hidden until retried");
      return false;
    }
  }

  /** Undoes creations that stayed CREATING for longer than `olderThanMs` (their caller gave up). */
  async cleanUpAbandoned(olderThanMs: number): Promise<number> {
    const stale = await this.em
      .fork()
      .find(Event, { status: "CREATING", createdAt: { $lt: new Date(Date.now() - olderThanMs) } }, { populate: ["ticketTypes"], limit: 50 });
    let undone = 0;
    for (const event of stale) {
      if (await this.#undo(event, event.ticketTypes.getItems())) undone++;
    }
    return undone;
  }

  async get(id: string): Promise<Event> {
    const event = await this.em.fork().findOne(Event, { id, status: "ACTIVE" }, { populate: ["ticketTypes"] });
    if (!event) throw notFound("event", id);
    return event;
  }

  /** Active events by (starts_at, id), after the given key. */
  async list(after: [Date, string] | undefined, limit: number): Promise<Event[]> {
    const where = after
      ? { status: "ACTIVE", $or: [{ startsAt: { $gt: after[0] } }, { startsAt: after[0], id: { $gt: after[1] } }] }
      : { status: "ACTIVE" };
    return this.em.fork().find(Event, where, {
      populate: ["ticketTypes"],
      orderBy: { startsAt: "asc", id: "asc" },
      limit,
    });
  }

  async getTicket(id: string): Promise<TicketType> {
    const tt = await this.em.fork().findOne(TicketType, { id, event: { status: "ACTIVE" } }, { populate: ["event"] });
    if (!tt) throw notFound("ticket", id);
    return tt;
  }
}
