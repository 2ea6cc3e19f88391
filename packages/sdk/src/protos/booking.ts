export * from "../gen/ticketing/booking/v1/booking_pb.js";
export * from "../gen/ticketing/booking/v1/events_pb.js";
