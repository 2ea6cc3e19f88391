import { describe, expect, it } from "vitest";
import { holdFromStates, type BookingStatus } from "./booking.js";

describe("the hold state machine", () => {
  it("ends a hold once: only a HELD hold becomes CONFIRMED, RELEASED or EXPIRED, and nothing leaves an ended one", () => {
    const all: BookingStatus[] = ["HELD", "CONFIRMED", "RELEASED", "EXPIRED"];
    for (const to of all) expect(holdFromStates(to), to).toEqual(to === "HELD" ? [] : ["HELD"]);
  });
});
