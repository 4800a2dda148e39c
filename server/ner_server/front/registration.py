"""Registers NerService so its messages pass through the front as bytes.

Requests reach the servicer serialized and responses leave serialized: parsing, checking and
building the messages of a document happen in the workers.
"""

from __future__ import annotations

from typing import Any

import grpc
from ner_client.proto import ner_pb2

from ner_server.front import error_status

SERVICE = ner_pb2.DESCRIPTOR.services_by_name["NerService"]


def add_ner_service(servicer: Any, server: grpc.aio.Server, observe: error_status.CallObserver) -> None:
    handlers = {}
    for method in SERVICE.methods:
        full_name = f"/{SERVICE.full_name}/{method.name}"
        behavior = getattr(servicer, method.name)
        if method.client_streaming:
            handler = grpc.stream_stream_rpc_method_handler(
                error_status.streaming(full_name, behavior, observe)
            )
        else:
            handler = grpc.unary_unary_rpc_method_handler(error_status.unary(full_name, behavior, observe))
        handlers[method.name] = handler
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),))
    server.add_registered_method_handlers(SERVICE.full_name, handlers)
