import { invalid, type FieldViolation } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Collects every problem with a request before failing, so a client learns all of them at once.
 * `check()` throws an INVALID_ARGUMENT domain error carrying the field violations.
 */
export class Validator {
  readonly violations: FieldViolation[] = [];

  fail(field: string, description: string): this {
    this.violations.push({ field, description });
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
    const length = [...value.trim()].length;
    if (min > 0 && length === 0) return this.fail(field, "is required");
    if (length < min || [...value].length > max) return this.fail(field, `must be ${min} to ${max} characters`);
    return this;
  }

  int(field: string, value: number | bigint, min: number, max: number): this {
    if (value < min || value > max) return this.fail(field, `must be between ${min} and ${max}`);
    return this;
  }

  check(): void {
    if (this.violations.length > 0) throw invalid(this.violations);
  }
}

export const isUuid = (value: string) => UUID.test(value);
