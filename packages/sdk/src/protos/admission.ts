export * from "../gen/ticketing/admission/v1/admission_pb.js";
export * from "../gen/ticketing/admission/v1/code_pb.js";
export * from "../gen/ticketing/admission/v1/events_pb.js";
