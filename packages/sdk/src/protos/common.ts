export * from "../gen/ticketing/common/v1/money_pb.js";
export * from "../gen/ticketing/common/v1/errors_pb.js";
