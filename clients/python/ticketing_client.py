"""A Python client of the ticketing platform, generated from the same proto/ as the TypeScript SDK.

It lists the server's services through gRPC reflection, creates an event as an admin and reads it back, to show
that the contract is not tied to TypeScript. Generate the stubs first (scripts/other-languages.sh does):

    python -m grpc_tools.protoc -I proto --python_out=GEN --grpc_python_out=GEN $(find proto -name '*.proto')

Usage: python ticketing_client.py HOST:PORT ADMIN_TOKEN
"""

import importlib.util
import os
import sys
import time

import grpc
from google.protobuf import timestamp_pb2

from ticketing.common.v1 import money_pb2
from ticketing.event.v1 import event_pb2, event_pb2_grpc


def load_reflection_messages():
    """The generated grpc/reflection/v1 messages. Their package path would shadow grpcio's own `grpc` package, so
    the module is loaded from its file under another name."""
    for root in sys.path:
        path = os.path.join(root, "grpc", "reflection", "v1", "reflection_pb2.py")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("ticketing_reflection_v1_pb2", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError("grpc/reflection/v1/reflection_pb2.py was not generated")


def list_services(channel: grpc.Channel) -> list[str]:
    pb = load_reflection_messages()
    call = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=pb.ServerReflectionRequest.SerializeToString,
        response_deserializer=pb.ServerReflectionResponse.FromString,
    )
    for response in call(iter([pb.ServerReflectionRequest(list_services="")]), timeout=10):
        return sorted(s.name for s in response.list_services_response.service)
    return []


def main(target: str, token: str) -> None:
    with grpc.insecure_channel(target) as channel:
        services = list_services(channel)
        print("services:", ", ".join(services))
        assert "ticketing.event.v1.EventService" in services, services

        events = event_pb2_grpc.EventServiceStub(channel)
        auth = (("authorization", f"Bearer {token}"),)
        starts = timestamp_pb2.Timestamp(seconds=int(time.time()) + 86400)
        ends = timestamp_pb2.Timestamp(seconds=int(time.time()) + 90000)
        created = events.CreateEvent(
            event_pb2.CreateEventRequest(
                idempotency_key=f"python-{int(time.time() * 1000)}",
                name="Python Night",
                venue=event_pb2.Venue(name="Hall 7", location="Lisbon"),
                starts_at=starts,
                ends_at=ends,
                ticket_types=[
                    event_pb2.TicketTypeSpec(
                        name="Standing", price=money_pb2.Money(amount_minor=3550, currency="EUR"), capacity=250
                    )
                ],
            ),
            metadata=auth,
            timeout=10,
        ).event
        print(f"created event {created.id} with ticket type {created.ticket_types[0].id}")

        read = events.GetEvent(event_pb2.GetEventRequest(event_id=created.id), metadata=auth, timeout=10).event
        assert read.name == "Python Night" and read.ticket_types[0].price.amount_minor == 3550, read
        print(f"read back: {read.name} at {read.venue.name}, {read.ticket_types[0].price.amount_minor} "
              f"{read.ticket_types[0].price.currency} minor units, capacity {read.ticket_types[0].capacity}")

        try:
            events.GetEvent(event_pb2.GetEventRequest(event_id="not-a-uuid"), metadata=auth, timeout=10)
            raise AssertionError("a malformed id was accepted")
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err.code()
            print(f"malformed id: {err.code().name}: {err.details()}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
