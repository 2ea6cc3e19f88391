import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { invalid, type FieldViolation } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** At most this many violations are reported: a request with 10,000 bad items must not make a 10,000-line answer. */
const MAX_VIOLATIONS = 20;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range PostgreSQL's timestamptz and proto JSON both take. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

/**
 * Collects every problem with a request before failing, so a client learns all of them at once (up to 20).
 * `check()` throws an INVALID_ARGUMENT domain error carrying the field violations.
 */
export class Validator {
  readonly violations: FieldViolation[] = [];
  #dropped = 0;

  fail(field: string, description: string): this {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push({ field, description });
    else this.#dropped++;
    return this;
  }

  uuid(field: string, value: string): this {
    if (value === "") return this.fail(field, "is required");
    if (!UUID.test(value)) return this.fail(field, "must be a UUID");
    return this;
  }

  optionalUuid(field: string, value: string): this {
    return value === "" ? this : this.uuid(field, value);
  }

  text(field: string, value: string, min: number, max: number): this {
    if (value.length > max * 2) return this.fail(field, `must be ${min} to ${max} characters`);
    if (value.includes("\u0000")) return this.fail(field, "must not contain NUL characters");
    const length = [...value.trim()].length;
    if (min > 0 && length === 0) return this.fail(field, "is required");
    if (length < min || [...value].length > max) return this.fail(field, `must be ${min} to ${max} characters`);
    return this;
  }

  int(field: string, value: number | bigint, min: number, max: number): this {
    if (value < min || value > max) return this.fail(field, `must be between ${min} and ${max}`);
    return this;
  }

  /** A timestamp PostgreSQL can store: years 1 to 9999, nanos within a second. */
  timestamp(field: string, value: Timestamp | undefined): this {
    if (!value) return this;
    if (value.nanos < 0 || value.nanos > 999_999_999) return this.fail(field, "nanos must be from 0 to 999999999");
    if (value.seconds < MIN_SECONDS || value.seconds > MAX_SECONDS) return this.fail(field, "must be a time between the years 1 and 9999");
    return this;
  }

  /** A well-formed Duration: nanos within a second, with the sign of seconds. Returns whether it is one. */
  duration(field: string, value: Duration): boolean {
    const { seconds, nanos } = value;
    if (nanos < -999_999_999 || nanos > 999_999_999 || (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
      this.fail(field, "nanos must be within a second and have the sign of seconds");
      return false;
    }
    return true;
  }

  check(): void {
    if (this.#dropped > 0) this.violations.push({ field: "(request)", description: `and ${this.#dropped} more problems` });
    if (this.violations.length > 0) throw invalid(this.violations);
  }
}

export const isUuid = (value: string) => UUID.test(value);
