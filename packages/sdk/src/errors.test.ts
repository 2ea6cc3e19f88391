import { describe, expect, it } from "vitest";
import { Code, ConnectError, codeName, errorCode, hasCode, isConnectionFailure, toTicketingError } from "./errors.js";

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

describe("isConnectionFailure", () => {
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  it("is true for transport failures however the transport labelled them", () => {
    expect(isConnectionFailure(new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, reset))).toBe(true);
    expect(isConnectionFailure(new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled))).toBe(true);
    expect(isConnectionFailure(new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable))).toBe(true);
  });
  it("is false for anything the server said, for deadlines, and for other errors", () => {
    const sent = new ConnectError("boom", Code.Internal);
    sent.isWireError = true;
    expect(isConnectionFailure(sent)).toBe(false);
    expect(isConnectionFailure(new ConnectError("deadline", Code.DeadlineExceeded))).toBe(false);
    expect(isConnectionFailure(new ConnectError("bad", Code.InvalidArgument))).toBe(false);
    expect(isConnectionFailure(new ConnectError("missing output message", Code.Internal))).toBe(false);
    expect(isConnectionFailure(new Error("read ECONNRESET"))).toBe(false);
  });
});
