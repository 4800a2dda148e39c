"""Python client for ner.v1.NerService: typed, sync and asyncio, with the generated stubs.

    from ner_client import NerClient
    with NerClient("localhost:50051") as client:
        for entity in client.extract("Ada Lovelace was born in London."):
            print(entity.label, entity.text, entity.start_char, entity.end_char)

The generated protobuf and gRPC modules are `ner_client.proto.ner_pb2` and
`ner_client.proto.ner_pb2_grpc`; `ner_client.status` has the status codes' numbers and which of
them are worth retrying; `ner_client.diagnosis` says what a failed connection's status means (a
TLS handshake the server ended, a refused port), which the clients append to the error's details.
`ner-tag` (`ner_client.tag`) is built on `AsyncNerClient`.

The names below are imported when first used, so that `ner_client.proto.ner_pb2` and
`ner_client.entity` load without gRPC (the server's model processes use them and must not).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ner_client.aio import AsyncNerClient
    from ner_client.client import NerClient
    from ner_client.types import Document, DocumentError, DocumentResult, Entity, Limits, ModelInfo

__all__ = [
    "AsyncNerClient",
    "Document",
    "DocumentError",
    "DocumentResult",
    "Entity",
    "Limits",
    "ModelInfo",
    "NerClient",
]

_MODULES = {
    "AsyncNerClient": "ner_client.aio",
    "NerClient": "ner_client.client",
    **{name: "ner_client.types" for name in __all__ if name not in ("AsyncNerClient", "NerClient")},
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'ner_client' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
