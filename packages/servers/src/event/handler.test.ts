import { toJson } from "@bufbuild/protobuf";
import { event as pb } from "@ticketing/sdk";
import { describe, expect, it } from "vitest";
import { eventToPb } from "./mapping.js";

const snapshot = { id: "e-1", name: "Open Air", description: "", startsAt: new Date(0), endsAt: new Date(0), createdAt: new Date(0), ticketTypes: [] };

describe("eventToPb", () => {
  it("leaves out a venue the event does not have, so its JSON has no empty venue object", () => {
    expect(toJson(pb.EventSchema, eventToPb({ ...snapshot, venueName: "", venueLocation: "" }))).not.toHaveProperty("venue");
    expect(toJson(pb.EventSchema, eventToPb({ ...snapshot, venueName: "Arena", venueLocation: "" }))).toMatchObject({ venue: { name: "Arena" } });
  });
});
