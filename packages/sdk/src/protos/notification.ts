export * from "../gen/ticketing/notification/v1/notification_pb.js";
