"""Domain values to protobuf messages (serialized where they travel between processes)."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import DecodeError
from ner_client.proto import ner_pb2

from ner_server.errors import NerError
from ner_server.model import EntityRecord, ModelInfo
from ner_server.settings import Settings


def entities(records: Iterable[EntityRecord], labels: frozenset[str] | None) -> list[ner_pb2.Entity]:
    return [
        ner_pb2.Entity(
            text=r.text,
            label=r.label,
            start_char=r.start_char,
            end_char=r.end_char,
            start_byte=r.start_byte,
            end_byte=r.end_byte,
            start_token=r.start_token,
            end_token=r.end_token,
            start_utf16=r.start_utf16,
            end_utf16=r.end_utf16,
        )
        for r in records
        if labels is None or r.label in labels
    ]


def document_entities(document_id: str, found: list[ner_pb2.Entity]) -> bytes:
    """A serialized StreamExtractEntitiesResponse with one document's entities."""
    result = ner_pb2.DocumentEntities(id=document_id, entities=found)
    answer: bytes = ner_pb2.StreamExtractEntitiesResponse(result=result).SerializeToString()
    return answer


def document_error(document_id: str, error: NerError) -> bytes:
    """A serialized StreamExtractEntitiesResponse saying why one document has no entities."""
    failure = ner_pb2.DocumentError(code=error.code, message=error.message)
    result = ner_pb2.DocumentEntities(id=document_id, error=failure)
    answer: bytes = ner_pb2.StreamExtractEntitiesResponse(result=result).SerializeToString()
    return answer


def failed_document(request: bytes, error: NerError) -> bytes:
    """`document_error` for a document no worker answered; its id is read from its request."""
    try:
        document_id = ner_pb2.StreamExtractEntitiesRequest.FromString(request).document.id
    except DecodeError:
        document_id = ""
    return document_error(document_id, error)


def document_request(document: ner_pb2.Document, labels: Iterable[str]) -> bytes:
    """One document of a BatchExtractEntitiesRequest as the StreamExtractEntitiesRequest a worker runs."""
    request = ner_pb2.StreamExtractEntitiesRequest(document=document, labels=labels)
    serialized: bytes = request.SerializeToString()
    return serialized


def batch_response(documents: Iterable[bytes]) -> bytes:
    """A serialized BatchExtractEntitiesResponse made of serialized StreamExtractEntitiesResponses.

    Both messages hold DocumentEntities in field 1 (repeated in one, singular in the other), so
    their encodings coincide and concatenating the answers is the batch's answer. protos/ner/v1
    must keep those field numbers (`buf breaking` guards them).
    """
    return b"".join(documents)


def model_info(info: ModelInfo, settings: Settings) -> ner_pb2.GetModelInfoResponse:
    return ner_pb2.GetModelInfoResponse(
        model_name=info.name,
        model_version=info.version,
        spacy_version=info.spacy_version,
        labels=info.labels,
        pipeline=info.pipeline,
        workers=settings.workers,
        limits=ner_pb2.Limits(
            max_text_chars=settings.max_text_chars,
            max_batch_documents=settings.max_batch_documents,
            max_message_bytes=settings.max_message_bytes,
            stream_window=settings.stream_read_ahead,
        ),
    )
