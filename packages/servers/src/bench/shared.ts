// What the benchmark scripts share: a throw-away database on the local PostgreSQL, the whole platform on it and the
// local Kafka, and percentiles.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { startPlatform, type Platform } from "../app.js";
import { SERVICE_NAMES } from "../services.js";
import { loadConfig } from "../platform/config.js";

const ADMIN_URL = process.env["TICKETING_TEST_DATABASE_URL"] ?? "postgres://ticketing:ticketing@127.0.0.1:5432/ticketing";

/** Runs `work` on a new empty database, dropped afterwards. */
export async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `ticketing_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await work(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** The p-th percentile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const BROKERS = process.env["TICKETING_TEST_KAFKA_BROKERS"] ?? "127.0.0.1:9092";

/** Runs `work` against every service in one process, on a new database and a namespace of its own on the local Kafka. */
export async function withPlatform<T>(work: (platform: Platform) => Promise<T>): Promise<T> {
  return withDatabase(async (url) => {
    const config = loadConfig({
      TICKETING_DATABASE_URL: url,
      TICKETING_JWT_SECRET: randomBytes(32).toString("hex"),
      TICKETING_PORT: "0",
      TICKETING_KAFKA_BROKERS: BROKERS,
      TICKETING_KAFKA_NAMESPACE: `bench-${randomBytes(3).toString("hex")}.`,
      TICKETING_LOG_LEVEL: "silent",
    });
    const platform = await startPlatform({ services: SERVICE_NAMES, config, logger: pino({ level: "silent" }), migrate: true });
    try {
      return await work(platform);
    } finally {
      await platform.close();
    }
  });
}
