"""Registers NerService with deserializers that turn unparsable requests into a value.

The generated registration lets a parse failure (such as invalid UTF-8 in a string field, which
proto3 forbids) escape as INTERNAL. Here it becomes a `MalformedRequest`, which the servicer
answers with INVALID_ARGUMENT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from ner_client.proto import ner_pb2

SERVICE = ner_pb2.DESCRIPTOR.services_by_name["NerService"]


@dataclass(frozen=True)
class MalformedRequest:
    """A request message that could not be parsed; `reason` is safe to show the caller."""

    reason: str


def add_ner_service(servicer: Any, server: grpc.aio.Server) -> None:
    handlers = {}
    for method in SERVICE.methods:
        request_type = getattr(ner_pb2, method.input_type.name)
        response_type = getattr(ner_pb2, method.output_type.name)
        make_handler = (
            grpc.stream_stream_rpc_method_handler
            if method.client_streaming
            else grpc.unary_unary_rpc_method_handler
        )
        handlers[method.name] = make_handler(
            getattr(servicer, method.name),
            request_deserializer=_lenient(request_type.FromString),
            response_serializer=response_type.SerializeToString,
        )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),))
    server.add_registered_method_handlers(SERVICE.full_name, handlers)


def _lenient(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            return MalformedRequest(
                "the request is not a valid protobuf message (for example a string field holds invalid UTF-8)"
            )

    return deserialize
