export * from "../gen/ticketing/event/v1/event_pb.js";
