"""Domain values to protobuf messages."""

from __future__ import annotations

from collections.abc import Iterable

from ner_client import status
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
        )
        for r in records
        if labels is None or r.label in labels
    ]


def document_error(error: NerError) -> ner_pb2.DocumentError:
    return ner_pb2.DocumentError(code=status.number(error.code), message=error.message)


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
            stream_window=settings.stream_window,
        ),
    )
