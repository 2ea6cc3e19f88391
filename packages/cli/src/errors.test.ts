import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, common } from "@ticketing/sdk";
import { describe, expect, it } from "vitest";
import { describeError, EXIT } from "./errors.js";

const badRequest = (message: string, violations: [string, string][]) =>
  new ConnectError(message, Code.InvalidArgument, undefined, [
    { desc: common.BadRequestSchema, value: create(common.BadRequestSchema, { fieldViolations: violations.map(([field, description]) => ({ field, description })) }) },
  ]);

describe("describeError", () => {
  it("prints each field violation once, not in the message and again below it", () => {
    const err = badRequest("ticket_id: must be a UUID; quantity: must be between 1 and 100", [
      ["ticket_id", "must be a UUID"],
      ["quantity", "must be between 1 and 100"],
    ]);
    expect(describeError(err)).toEqual({
      lines: ["error: INVALID_ARGUMENT", "  ticket_id: must be a UUID", "  quantity: must be between 1 and 100", "hint: see `--help` for the allowed values"],
      exitCode: EXIT.error,
    });
  });

  it("keeps a message that says more than its violations", () => {
    const { lines } = describeError(badRequest("the event cannot be created", [["name", "is required"]]));
    expect(lines.slice(0, 2)).toEqual(["error: INVALID_ARGUMENT: the event cannot be created", "  name: is required"]);
  });
});
