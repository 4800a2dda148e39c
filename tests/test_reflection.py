"""Server reflection answers under both names, grpc.reflection.v1 and v1alpha, with the same files."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection_pb2

V1 = "grpc.reflection.v1.ServerReflection"
V1ALPHA = "grpc.reflection.v1alpha.ServerReflection"
NER = "ner.v1.NerService"
METHODS = ["ExtractEntities", "BatchExtractEntities", "StreamExtractEntities", "GetModelInfo"]


def reflect(channel: grpc.Channel, service: str, *requests: reflection_pb2.ServerReflectionRequest) -> list:  # type: ignore[type-arg]
    call = channel.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    return list(call(iter(requests), timeout=30))


def files(response: reflection_pb2.ServerReflectionResponse) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    protos = response.file_descriptor_response.file_descriptor_proto
    assert protos, response
    return {proto.name: proto for proto in map(descriptor_pb2.FileDescriptorProto.FromString, protos)}


@pytest.mark.parametrize("service", [V1, V1ALPHA])
def test_reflection_lists_services_and_resolves_a_method_name(channel, service: str) -> None:
    listed, by_method, by_message = reflect(
        channel,
        service,
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=f"{NER}.ExtractEntities"),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="ner.v1.Entity"),
    )
    names = {entry.name for entry in listed.list_services_response.service}
    assert names == {NER, "grpc.health.v1.Health", V1, V1ALPHA}
    ner = files(by_method)["ner/v1/ner.proto"]
    assert [method.name for method in ner.service[0].method] == METHODS
    entity = next(
        message for message in files(by_message)["ner/v1/ner.proto"].message_type if message.name == "Entity"
    )
    assert {"start_byte", "start_utf16", "end_utf16"} <= {field.name for field in entity.field}


def test_both_reflection_services_answer_with_the_same_bytes(channel) -> None:
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol=f"{NER}.StreamExtractEntities"),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health"),
        reflection_pb2.ServerReflectionRequest(file_by_filename="ner/v1/ner.proto"),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="ner.v1.NoSuchThing"),
    ]
    v1 = [response.SerializeToString() for response in reflect(channel, V1, *requests)]
    v1alpha = [response.SerializeToString() for response in reflect(channel, V1ALPHA, *requests)]
    assert v1 == v1alpha
    missing = reflection_pb2.ServerReflectionResponse.FromString(v1[-1])
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_the_v1_service_describes_itself_and_speaks_what_it_describes(channel) -> None:
    (answer,) = reflect(channel, V1, reflection_pb2.ServerReflectionRequest(file_containing_symbol=V1))
    (v1_file,) = files(answer).values()
    assert (v1_file.name, v1_file.package) == ("grpc/reflection/v1/reflection.proto", "grpc.reflection.v1")
    alpha_file = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(alpha_file)

    def shape(file: descriptor_pb2.FileDescriptorProto) -> list[tuple[str, list[tuple[str, int, int]]]]:
        return [(m.name, [(f.name, f.number, f.type) for f in m.field]) for m in file.message_type]

    assert shape(v1_file) == shape(alpha_file)

    # A client that knows only what the v1 service said about itself.
    pool = descriptor_pool.DescriptorPool()
    pool.Add(v1_file)
    request = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionRequest")
    )
    response = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("grpc.reflection.v1.ServerReflectionResponse")
    )
    call = channel.stream_stream(
        f"/{V1}/ServerReflectionInfo",
        request_serializer=request.SerializeToString,
        response_deserializer=response.FromString,
    )
    (listed,) = call(iter([request(list_services="")]), timeout=30)
    assert NER in {entry.name for entry in listed.list_services_response.service}
