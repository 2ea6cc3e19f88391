/**
 * The standard gRPC health and reflection services (grpc.health.v1, grpc.reflection.v1) that every
 * ticketing server serves, for probes and tooling.
 */
export * as health from "./gen/grpc/health/v1/health_pb.js";
export * as reflection from "./gen/grpc/reflection/v1/reflection_pb.js";
