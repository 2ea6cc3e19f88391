import { PGlite } from "@electric-sql/pglite";
import type { Constructor, EntitySchema } from "@mikro-orm/core";
import { Migration, Migrator } from "@mikro-orm/migrations";
import { MikroORM } from "@mikro-orm/postgresql";
import type { InferKyselyDB } from "@mikro-orm/sql";
import { sql, type RawBuilder, type Selectable, type SelectQueryBuilder } from "kysely";
import { createHash } from "node:crypto";
import type { Pool, QueryResultRow } from "pg";
import { mkdir } from "node:fs/promises";
import type { Logger } from "./logger.js";
import { servePglite } from "./pglite-server.js";

export type Orm = MikroORM;
export type Em = Orm["em"];

/**
 * An EntityManager for a service's statements that run on the pool, outside any transaction. The global one would
 * join whatever transaction the calling async context happens to be in (MikroORM finds it through
 * AsyncLocalStorage, and in one process a bus handler can be called from inside another service's transaction);
 * a fork never does. Holding no entities, it can live as long as the service.
 */
export const detached = (em: Em): Em => em.fork();

/** What a service brings to the database layer: its schema, entities and migrations. */
export interface ServiceSchema {
  /** PostgreSQL schema the service owns, for example "booking". */
  schema: string;
  entities: EntitySchema[];
  migrations: { name: string; class: Constructor<Migration> }[];
}

/**
 * Statements written by hand go through Kysely typed from the entities: tables and columns by property name, values
 * converted as the entities declare them (bigint, Date). Selecting, filtering and inserting are checked by the
 * compiler against the entities, so a column is described once.
 */
export const TYPED = { columnNamingStrategy: "property", convertValues: true } as const;

/**
 * The Kysely database type of a service's entities (pass the union of its entity schemas), for
 * `em.getKysely<Tables>(TYPED).withSchema(schema)`: bound to `em`'s transaction if it has one.
 */
export type TablesOf<E extends { name: string }> = InferKyselyDB<E, typeof TYPED>;


/**
 * A row of a service table as hand-written SQL receives it (the hot statements that stay SQL): column names, bigint
 * columns selected as `::text`, timestamps as the driver's strings. Derived from the entity, never written out.
 */
export type WireRow<E extends { name: string }, T extends keyof InferKyselyDB<E>> = {
  [K in keyof Selectable<InferKyselyDB<E>[T]>]: Wire<Selectable<InferKyselyDB<E>[T]>[K]>;
};
type Wire<V> = V extends bigint ? string : V extends Date ? Date | string : V;

/** A page of a listing newest first: the rows after the (created_at, id) key `after` of the previous page. */
export function newestFirst<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  after: string[] | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  const [createdAt, id] = after ?? [];
  const from = createdAt !== undefined && id !== undefined ? query.where(sql<boolean>`(created_at, id) < (${new Date(createdAt)}, ${id}::uuid)`) : query;
  return from.orderBy(sql`created_at desc, id desc`).limit(limit);
}

export class UnmigratedSchemaError extends Error {
  override readonly name = "UnmigratedSchemaError";
}

/** Connections whose server cannot keep named prepared statements apart (embedded PGlite: one shared session). */
const unprepared = new WeakSet<object>();

/**
 * Opens a MikroORM instance bound to one service's schema. `embedded`: the database is PGlite behind its socket,
 * where every pool connection shares one session, so statements are never prepared by name.
 */
export async function openOrm(spec: ServiceSchema, url: string, poolSize: number, logger: Logger, embedded = false): Promise<Orm> {
  const orm = await MikroORM.init({
    clientUrl: url,
    schema: spec.schema,
    entities: spec.entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolSize },
    debug: false,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    logger: (message) => logger.debug({ orm: spec.schema }, message),
    // The PL/pgSQL functions (the hot hold and order paths) are written in their migrations, not declared here.
    schemaGenerator: { ignoreRoutines: true },
    migrations: {
      schema: spec.schema,
      tableName: "mikro_orm_migrations",
      migrationsList: spec.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
  if (embedded) unprepared.add(orm.em.getConnection());
  return orm;
}

/** Applies the service's pending migrations (creating its schema first). Returns the names applied. */
export async function migrate(orm: Orm, spec: ServiceSchema): Promise<string[]> {
  await sql`create schema if not exists ${sql.id(spec.schema)}`.execute(orm.em.fork().getKysely());
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

/** Start-up refuses to run on a schema that lacks migrations, naming what is missing and how to fix it. */
export async function assertMigrated(orm: Orm, spec: ServiceSchema): Promise<void> {
  const { rows } = await sql<{ present: boolean }>`
    select exists (
      select 1 from information_schema.tables where table_schema = ${spec.schema} and table_name = 'mikro_orm_migrations'
    ) as present`.execute(orm.em.fork().getKysely());
  const pending = rows[0]?.present ? await orm.migrator.getPending() : spec.migrations;
  if (pending.length > 0) {
    throw new UnmigratedSchemaError(
      `schema "${spec.schema}" is not migrated: ${pending.length} pending migration(s) (${pending
        .map((m) => m.name)
        .join(", ")}). Run \`ticketing-server migrate\` first.`,
    );
  }
}

const statementNames = new Map<string, string>();
const pools = new WeakMap<Em, Promise<Pool>>();

/**
 * Runs one statement on the pool as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of on every call, which for the hot CTE statements was most of their cost (≈ 110 µs of
 * planning each, measured with pg_stat_statements). Only for statements outside a transaction: `em` must be a
 * pool-bound EntityManager (see `detached`). The statement is still written with Kysely's `sql`.
 */
export async function prepared<R extends QueryResultRow = QueryResultRow>(em: Em, query: RawBuilder<R> | RawBuilder<unknown>): Promise<R[]> {
  if (unprepared.has(em.getConnection())) return (await (query as RawBuilder<R>).execute(em.getKysely())).rows;
  const compiled = query.compile(em.getKysely());
  let name = statementNames.get(compiled.sql);
  if (name === undefined) {
    name = `t_${createHash("sha1").update(compiled.sql).digest("hex").slice(0, 20)}`;
    statementNames.set(compiled.sql, name);
  }
  let pool = pools.get(em);
  if (!pool) {
    pool = em.getConnection().getNativeClient() as Promise<Pool>;
    pools.set(em, pool);
  }
  const { rows } = await (await pool).query<R>({ name, text: compiled.sql, values: compiled.parameters as unknown[] });
  return rows;
}

/** Embedded PostgreSQL: PGlite behind a local socket, so the normal driver and pool are used. */
export interface EmbeddedPostgres {
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string | undefined): Promise<EmbeddedPostgres> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const server = await servePglite(db);
  return {
    url: server.url,
    async close() {
      await server.close();
      await db.close();
    },
  };
}

/** PostgreSQL error codes the services react to. */
export const PG = {
  uniqueViolation: "23505",
  checkViolation: "23514",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
} as const;

/** The SQLSTATE of a driver error, looking through MikroORM's wrappers. */
export function pgCode(err: unknown): string | undefined {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * Runs `work` in a transaction, retrying it when PostgreSQL aborts it for a deadlock or a serialization failure —
 * both mean "try again", never "fail the buyer".
 */
export async function transaction<T>(em: Em, work: (tx: Em) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await em.fork().transactional((tx) => work(tx as Em));
    } catch (err) {
      const code = pgCode(err);
      const retryable = code === PG.deadlockDetected || code === PG.serializationFailure;
      if (!retryable || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
}
