"""The front's protobuf: a batch call split into documents and joined again, a document no worker
answered, and GetModelInfo."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import DecodeError
from ner_client.proto import ner_pb2

from ner_server.front.settings import Settings
from ner_server.shared.errors import NerError
from ner_server.shared.model_info import ModelInfo
from ner_server.shared.responses import document_error


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
