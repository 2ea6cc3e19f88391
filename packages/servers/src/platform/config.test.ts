import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseDuration, redact } from "./config.js";

/** Services as the composition root passes them (their names and ports). */
const services = [
  { name: "event", port: 50600 },
  { name: "booking", port: 50610 },
  { name: "checkout", port: 50620 },
];

describe("loadConfig", () => {
  it("defaults to the embedded mode with nothing set", () => {
    const config = loadConfig({}, { services });
    expect(config.databaseUrls.booking).toBeUndefined();
    expect(config.holdTtlSeconds).toBe(900);
    expect(config.idempotencyRetentionSeconds).toBe(86_400);
    expect(config.serviceUrls.booking).toEqual(["http://127.0.0.1:50610"]);
    expect(config.kafkaBrokers).toEqual([]);
  });

  it("reads DATABASE_URL, lets a service override it, and requires a JWT secret with a real database", () => {
    expect(() => loadConfig({ DATABASE_URL: "postgres://u:p@db/x" })).toThrow(/TICKETING_JWT_SECRET: required/);
    // The migrate command verifies no token, so it runs on the database URL alone; a secret given is still checked.
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db/x" }, { jwtSecretRequired: false }).jwtSecret).toBeUndefined();
    expect(() => loadConfig({ DATABASE_URL: "postgres://u:p@db/x", TICKETING_JWT_SECRET: "short" }, { jwtSecretRequired: false })).toThrow(/at least 32/);
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@db/x",
      TICKETING_BOOKING_DATABASE_URL: "postgres://u:p@other/y",
      TICKETING_JWT_SECRET: "s".repeat(32),
    }, { services });
    expect(config.databaseUrls.event).toBe("postgres://u:p@db/x");
    expect(config.databaseUrls.booking).toBe("postgres://u:p@other/y");
  });

  it("names every bad variable in one error, without leaking passwords", () => {
    let message = "";
    try {
      loadConfig({
        TICKETING_PORT: "70000",
        TICKETING_HOLD_TTL: "forever",
        TICKETING_IDEMPOTENCY_RETENTION: "10s",
        TICKETING_DATABASE_URL: "mysql://root:hunter2@db/x",
        TICKETING_JWT_SECRET: "short",
        TICKETING_LOG_LEVEL: "loud",
        TICKETING_KAFKA_BROKERS: "nohost",
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    for (const name of ["TICKETING_PORT", "TICKETING_HOLD_TTL", "TICKETING_IDEMPOTENCY_RETENTION", "TICKETING_DATABASE_URL", "TICKETING_JWT_SECRET", "TICKETING_LOG_LEVEL", "TICKETING_KAFKA_BROKERS"]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain("hunter2");
  });

  it("reads a comma-separated list of replica URLs per service, checking each", () => {
    const config = loadConfig({
      TICKETING_BOOKING_URL: "http://booking-1:50610, http://booking-2:50610,https://booking-3",
      TICKETING_EVENT_URL: "http://event:50600",
    }, { services });
    expect(config.serviceUrls.booking).toEqual(["http://booking-1:50610", "http://booking-2:50610", "https://booking-3"]);
    expect(config.serviceUrls.event).toEqual(["http://event:50600"]);
    expect(config.serviceUrls.checkout).toEqual(["http://127.0.0.1:50620"]);

    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env, { services });
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(problems({ TICKETING_BOOKING_URL: "http://booking-1:50610,ftp://booking-2" })).toContain(
      'TICKETING_BOOKING_URL: "ftp://booking-2" is not a http: or https: URL',
    );
    expect(problems({ TICKETING_BOOKING_URL: "http://booking-1:50610,,http://booking-2" })).toContain("TICKETING_BOOKING_URL: empty entry");
    expect(problems({ TICKETING_CHECKOUT_URL: "not a url" })).toContain("TICKETING_CHECKOUT_URL");
  });

  it("parses durations and redacts URLs", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("15m")).toBe(900);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("1.5h")).toBeUndefined();
    expect(redact("postgres://me:secret@host:5432/db")).toBe("postgres://me:***@host:5432/db");
  });
});
