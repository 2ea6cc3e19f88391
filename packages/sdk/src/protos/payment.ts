export * from "../gen/ticketing/payment/v1/payment_pb.js";
