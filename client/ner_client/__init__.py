"""Python client for ner.v1.NerService: typed, sync and asyncio, with the generated stubs.

    from ner_client import NerClient
    with NerClient("localhost:50051") as client:
        for entity in client.extract("Ada Lovelace was born in London."):
            print(entity.label, entity.text, entity.start_char, entity.end_char)

The generated protobuf and gRPC modules are `ner_client.proto.ner_pb2` and
`ner_client.proto.ner_pb2_grpc`; `ner_client.status` has the status codes' numbers and which of
them are worth retrying. `ner-tag` (`ner_client.tag`) is built on `AsyncNerClient`.
"""

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
