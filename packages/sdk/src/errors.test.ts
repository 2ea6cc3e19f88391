import { describe, expect, it } from "vitest";
import { Code, ConnectError, codeName, errorCode, hasCode, toTicketingError } from "./errors.js";

describe("error helpers", () => {
  it("spells codes the gRPC way", () => {
    expect(codeName(Code.ResourceExhausted)).toBe("RESOURCE_EXHAUSTED");
    expect(codeName(Code.NotFound)).toBe("NOT_FOUND");
    expect(codeName(Code.Unauthenticated)).toBe("UNAUTHENTICATED");
    expect(codeName(99 as Code)).toBe("CODE_99");
  });

  it("treats anything that is not a ConnectError as UNKNOWN", () => {
    expect(errorCode(new Error("boom"))).toBe(Code.Unknown);
    expect(hasCode(new Error("boom"), Code.Unknown)).toBe(false);
    expect(hasCode(new ConnectError("x", Code.Aborted), Code.Aborted)).toBe(true);
  });

  it("strips the code prefix from the message", () => {
    const err = toTicketingError(new ConnectError("order is expired", Code.FailedPrecondition));
    expect(err.message).toBe("order is expired");
    expect(err.cause.message).toBe("[failed_precondition] order is expired");
    expect(err.details).toEqual({});
  });
});
