export * from "../gen/ticketing/checkout/v1/checkout_pb.js";
export * from "../gen/ticketing/checkout/v1/events_pb.js";
