"""Server reflection, `grpc.reflection.v1` and `grpc.reflection.v1alpha`, from grpcio-reflection.

grpcio-reflection serves only v1alpha; v1 is the stable name that grpc-go and grpc-java serve
and that newer tools ask for first. The two protocols' messages have the same fields with the
same numbers, so one library servicer, parsing and writing v1alpha messages, answers both names
(grpc-go does the same, copying field by field between its two sets of types). The v1 file's
descriptor is the library's v1alpha file under v1's package and name, so clients can resolve the
v1 service itself too.

Method names resolve as symbols: the upb descriptor pool cannot find the file of a method name
such as `ner.v1.NerService.ExtractEntities`, which is how ghz asks; grpcurl asks by service name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1ALPHA_SERVICE_NAME: str = reflection.SERVICE_NAME
V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"
_V1_FILE = "grpc/reflection/v1/reflection.proto"


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve both reflection services on `server`, listing `service_names` and themselves."""
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    servicer = reflection.aio.ReflectionServicer(names, pool=_Pool(descriptor_pool.Default(), _v1_pool()))
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    handlers = {
        "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(
            servicer.ServerReflectionInfo,
            request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
            response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
        )
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(V1_SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(V1_SERVICE_NAME, handlers)


class _Pool:
    """The default pool, then the v1 reflection file; a method's full name finds its service's file."""

    def __init__(self, default: descriptor_pool.DescriptorPool, v1: descriptor_pool.DescriptorPool) -> None:
        self._default = default
        self._pools = (default, v1)

    def FindFileByName(self, name: str) -> Any:
        return self._first("FindFileByName", name)

    def FindFileContainingSymbol(self, symbol: str) -> Any:
        try:
            return self._first("FindFileContainingSymbol", symbol)
        except KeyError:
            return self._first("FindMethodByName", symbol).containing_service.file

    def _first(self, lookup: str, name: str) -> Any:
        for pool in self._pools:
            try:
                return getattr(pool, lookup)(name)
            except KeyError:
                continue
        raise KeyError(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._default, name)


def _v1_pool() -> descriptor_pool.DescriptorPool:
    """A pool of its own holding the v1 file, so a module that defines it later cannot clash."""
    alpha = reflection_pb2.DESCRIPTOR
    v1 = descriptor_pb2.FileDescriptorProto()
    alpha.CopyToProto(v1)
    v1.name, v1.package = _V1_FILE, "grpc.reflection.v1"
    v1.options.Clear()
    v1.options.java_package = "io.grpc.reflection.v1"
    v1.options.java_outer_classname = "ServerReflectionProto"
    v1.options.java_multiple_files = True
    v1.options.go_package = "google.golang.org/grpc/reflection/grpc_reflection_v1"
    prefix, renamed = f".{alpha.package}.", f".{v1.package}."
    for message in v1.message_type:
        for field in message.field:
            if field.HasField("type_name"):
                field.type_name = field.type_name.replace(prefix, renamed, 1)
    for service in v1.service:
        for method in service.method:
            method.input_type = method.input_type.replace(prefix, renamed, 1)
            method.output_type = method.output_type.replace(prefix, renamed, 1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(v1)
    return pool
