"""A document's answer as a serialized StreamExtractEntitiesResponse: its entities, or why it has
none. Workers make both; the front makes the error for a document no worker answered."""

from __future__ import annotations

from ner_client.proto import ner_pb2

from ner_server.shared.errors import NerError

__all__ = ["document_entities", "document_error"]


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
