import type { Em } from "../platform/db.js";
import { Event, TicketType } from "./entities.js";
import type { NewEvent } from "./domain/event.js";
import { uuidv7 } from "../platform/ids.js";

// Persistence of events through MikroORM entities. Every function takes the EntityManager fork it works in.

export type NewEventRow = NewEvent & { createdBy: string; idempotencyKey: string; requestHash: string };

export function findByKey(em: Em, createdBy: string, idempotencyKey: string): Promise<Event | null> {
  return em.findOne(Event, { createdBy, idempotencyKey }, { populate: ["ticketTypes"] });
}

/** Stores the event as CREATING with its ticket types, in one flush. */
export async function insertCreating(em: Em, row: NewEventRow): Promise<Event> {
  const { ticketTypes, ...fields } = row;
  const event = em.create(Event, { ...fields, id: uuidv7(), status: "CREATING", createdAt: new Date() });
  ticketTypes.forEach((tt, position) => em.create(TicketType, { ...tt, id: uuidv7(), event, position }));
  await em.flush();
  return event;
}

export async function activate(em: Em, id: string): Promise<void> {
  await em.nativeUpdate(Event, { id }, { status: "ACTIVE" });
}

/** Deletes an event still CREATING (its ticket types go with it). */
export async function deleteCreating(em: Em, id: string): Promise<void> {
  await em.nativeDelete(Event, { id, status: "CREATING" });
}

export function findActive(em: Em, id: string): Promise<Event | null> {
  return em.findOne(Event, { id, status: "ACTIVE" }, { populate: ["ticketTypes"] });
}

/** Active events by (starts_at, id), after the given key. */
export function listActive(em: Em, after: [Date, string] | undefined, limit: number): Promise<Event[]> {
  const where = after
    ? { status: "ACTIVE", $or: [{ startsAt: { $gt: after[0] } }, { startsAt: after[0], id: { $gt: after[1] } }] }
    : { status: "ACTIVE" };
  return em.find(Event, where, { populate: ["ticketTypes"], orderBy: { startsAt: "asc", id: "asc" }, limit });
}

export function findActiveTicket(em: Em, id: string): Promise<TicketType | null> {
  return em.findOne(TicketType, { id, event: { status: "ACTIVE" } }, { populate: ["event"] });
}

/** Creations that stayed CREATING since before `before`. */
export function findAbandoned(em: Em, before: Date, limit: number): Promise<Event[]> {
  return em.find(Event, { status: "CREATING", createdAt: { $lt: before } }, { populate: ["ticketTypes"], limit });
}
