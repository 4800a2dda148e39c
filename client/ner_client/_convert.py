"""Protobuf messages to and from the client's plain values."""

from __future__ import annotations

from collections.abc import Iterable

from ner_client import status
from ner_client.entity import from_message
from ner_client.proto import ner_pb2
from ner_client.types import Document, DocumentError, DocumentResult, Entity, Limits, ModelInfo


def entities(messages: Iterable[ner_pb2.Entity]) -> list[Entity]:
    return [from_message(message) for message in messages]


def document_result(message: ner_pb2.DocumentEntities) -> DocumentResult:
    error = None
    if message.HasField("error"):
        error = DocumentError(code=status.from_number(message.error.code), message=message.error.message)
    return DocumentResult(id=message.id, entities=tuple(entities(message.entities)), error=error)


def as_document(item: str | Document, index: int) -> Document:
    """Bare strings get their position as id."""
    return item if isinstance(item, Document) else Document(id=str(index), text=item)


def batch_request(
    items: Iterable[str | Document], labels: Iterable[str]
) -> ner_pb2.BatchExtractEntitiesRequest:
    documents = [ner_pb2.Document(id=d.id, text=d.text) for d in map(as_document, items, range(1 << 62))]
    return ner_pb2.BatchExtractEntitiesRequest(documents=documents, labels=list(labels))


def stream_request(
    item: str | Document, index: int, labels: Iterable[str]
) -> ner_pb2.StreamExtractEntitiesRequest:
    document = as_document(item, index)
    return ner_pb2.StreamExtractEntitiesRequest(
        document=ner_pb2.Document(id=document.id, text=document.text), labels=list(labels)
    )


def model_info(message: ner_pb2.GetModelInfoResponse) -> ModelInfo:
    limits = message.limits
    return ModelInfo(
        model_name=message.model_name,
        model_version=message.model_version,
        spacy_version=message.spacy_version,
        labels=tuple(message.labels),
        pipeline=tuple(message.pipeline),
        workers=message.workers,
        limits=Limits(
            max_text_chars=limits.max_text_chars,
            max_batch_documents=limits.max_batch_documents,
            max_message_bytes=limits.max_message_bytes,
            stream_window=limits.stream_window,
        ),
    )
