// A database created by the migrations as they stood when migrations started being generated from the entities,
// holding orders, carts and holds, upgrades to the current migrations and keeps every row.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serviceNamed, type ServiceName } from "./services.js";
import { migrate, openOrm, type Orm } from "./platform/db.js";
import { findOrder } from "./checkout/repository.js";
import { createTestDatabase, type TestDatabase } from "./testing/harness.js";

/** The last hand-written migration of each service: the schema of every database deployed before. */
const BASELINE: Record<ServiceName, string> = {
  event: "Migration20261125040000_outbox_event_id_not_indexed",
  booking: "Migration20261125040000_outbox_event_id_not_indexed",
  checkout: "Migration20261125040000_outbox_event_id_not_indexed",
  notification: "Migration20261125040000_outbox_event_id_not_indexed",
  admission: "Migration20261207000000_request_keys",
  // Born after migrations were generated: every database of it starts from its first migration.
  payment: "Migration20261207161613_initial",
};

const ORDER_PENDING = "0d4a3b5e-6c1f-4b8e-9a2d-1e3f5a7b9c01";
const ORDER_FAILED = "0d4a3b5e-6c1f-4b8e-9a2d-1e3f5a7b9c02";
const TICKET = "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const EVENT = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";

const SEED: Partial<Record<ServiceName, string[]>> = {
  checkout: [
    `insert into checkout."order" (id, user_id, status, total_minor, currency, expires_at, idempotency_key, created_at, updated_at)
     values ('${ORDER_PENDING}', 'alice', 'PENDING_PAYMENT', 9000, 'EUR', now() + interval '10 minutes', 'k1', now(), now())`,
    `insert into checkout."order" (id, user_id, status, total_minor, currency, status_reason, failure_kind, idempotency_key)
     values ('${ORDER_FAILED}', 'bob', 'FAILED', 4500, 'EUR', 'not enough tickets of Standard', 'ResourceExhausted', 'k2')`,
    `insert into checkout.order_item (order_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
     values ('${ORDER_PENDING}', '${TICKET}', '${EVENT}', 'Standard', 2, 4500, 'EUR'),
            ('${ORDER_FAILED}', '${TICKET}', '${EVENT}', 'Standard', 1, 4500, 'EUR')`,
    `insert into checkout.cart_item (user_id, ticket_id, event_id, ticket_name, quantity, unit_price_minor, currency)
     values ('carol', '${TICKET}', '${EVENT}', 'Standard', 3, 4500, 'EUR')`,
    `insert into checkout.outbox (event_id, topic, key, type, payload) values (gen_random_uuid(), 'orders', '${ORDER_PENDING}', 'OrderPlaced', '\\x0a01')`,
  ],
  booking: [
    `insert into booking.stock (ticket_id, bucket, buckets, event_id, total, held, sold) values ('${TICKET}', 0, 1, '${EVENT}', 100, 2, 0)`,
    `insert into booking.booking (id, order_id, ticket_id, event_id, quantity, status, expires_at, bucket)
     values (gen_random_uuid(), '${ORDER_PENDING}', '${TICKET}', '${EVENT}', 2, 'HELD', now() + interval '10 minutes', 0)`,
  ],
  event: [
    `insert into event.event (id, name, description, venue_name, venue_location, starts_at, ends_at, status, created_by, idempotency_key, request_hash)
     values ('${EVENT}', 'Show', '', 'Hall', 'Berlin', now() + interval '1 day', now() + interval '2 days', 'ACTIVE', 'admin', 'e1', 'h')`,
    `insert into event.ticket_type (id, event_id, name, price_minor, currency, capacity, position)
     values ('${TICKET}', '${EVENT}', 'Standard', 4500, 'EUR', 100, 0)`,
  ],
};

/** Every row of every table of the schema, as JSON text per table (the migrations table left out). */
async function contents(orm: Orm, schema: string): Promise<Record<string, string[]>> {
  const tables = await orm.em.fork().getConnection().execute<{ table_name: string }[]>(
    `select table_name from information_schema.tables where table_schema = ? and table_name <> 'mikro_orm_migrations' order by 1`,
    [schema],
  );
  const out: Record<string, string[]> = {};
  for (const { table_name } of tables) {
    const rows = await orm.em.fork().getConnection().execute<{ row: string }[]>(
      `select row_to_json(t)::text as row from "${schema}"."${table_name}" t order by 1`,
    );
    out[table_name] = rows.map((r) => r.row);
  }
  return out;
}

describe("a database at the schema before generated migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  for (const service of Object.keys(BASELINE) as ServiceName[]) {
    it(`${service}: upgrades to the current migrations and keeps its rows`, async () => {
      const spec = serviceNamed(service).schema;
      const orm = await openOrm(spec, db.url, 2, pino({ level: "silent" }));
      try {
        await orm.em.fork().getConnection().execute(`create schema if not exists "${spec.schema}"`);
        await orm.migrator.up({ to: BASELINE[service] });
        for (const statement of SEED[service] ?? []) await orm.em.fork().getConnection().execute(statement);
        const before = await contents(orm, spec.schema);

        await migrate(orm, spec);

        expect(await orm.migrator.getPending()).toEqual([]);
        const after = await contents(orm, spec.schema);
        // Every row is still there with the values it had (columns added since may come with it).
        for (const [table, rows] of Object.entries(before)) {
          const kept = (after[table] ?? []).map((r) => JSON.parse(r) as Record<string, unknown>);
          expect(kept).toHaveLength(rows.length);
          rows.forEach((r, i) => expect(kept[i]).toMatchObject(JSON.parse(r) as Record<string, unknown>));
        }
        if (service === "checkout") {
          const pending = await findOrder(orm.em.fork(), ORDER_PENDING);
          expect(pending).toMatchObject({ status: "PENDING_PAYMENT", totalMinor: 9000n, userId: "alice" });
          expect(pending?.items).toEqual([expect.objectContaining({ ticketId: TICKET, quantity: 2, unitPriceMinor: 4500n })]);
          expect(await findOrder(orm.em.fork(), ORDER_FAILED)).toMatchObject({ status: "FAILED", failureKind: "ResourceExhausted" });
        }
      } finally {
        await orm.close();
      }
    });
  }
});
