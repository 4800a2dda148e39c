"""Request bytes in, response bytes out: the per-document work of a batch, done in a worker.

Parses each job's request, checks it (text, labels), runs the model once over every valid text
of the batch, keeps the requested labels and serializes the answer. Knows nothing of processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from google.protobuf.message import DecodeError
from ner_client.entity import Entity, to_message
from ner_client.proto import ner_pb2

from ner_server.shared.errors import MALFORMED, InferenceFailed, InvalidArgument, NerError
from ner_server.shared.messages import Answer, Batch, JobKind, Outcome, Refused
from ner_server.shared.responses import document_entities, document_error
from ner_server.shared.validation import check_text, label_filter
from ner_server.worker.recognizer import Recognizer

log = logging.getLogger(__name__)

__all__ = ["BatchRunner", "entity_messages"]


class _Valid(NamedTuple):
    kind: JobKind
    document_id: str
    text: str
    labels: frozenset[str] | None


class _Rejected(NamedTuple):
    document_id: str
    error: NerError


class BatchRunner:
    """Answers batches of jobs with one model."""

    def __init__(self, recognizer: Recognizer, labels: Sequence[str] | None, max_text_chars: int) -> None:
        """`labels`: those a filter may name; None when the model cannot list them (any goes)."""
        self._recognizer = recognizer
        self._labels = None if labels is None else frozenset(labels)
        self._max_text_chars = max_text_chars

    def warm_up(self, text: str) -> None:
        """Run the model once, so the first real batch finds it warm."""
        self._recognizer.extract([text])

    def answer(self, batch: Batch) -> Answer:
        """One outcome per request, in order."""
        checked = [
            self._check(kind, request) for kind, request in zip(batch.kinds, batch.requests, strict=True)
        ]
        valid = [item for item in checked if isinstance(item, _Valid)]
        found = iter(self._extract_each([item.text for item in valid]))
        outcomes: list[Outcome] = []
        entities = 0
        for kind, item in zip(batch.kinds, checked, strict=True):
            if isinstance(item, _Valid):
                outcome, count = _answer(item, next(found))
                outcomes.append(outcome)
                entities += count
            else:
                outcomes.append(_refusal(kind, item))
        return Answer(batch.batch_id, outcomes, entities)

    def _check(self, kind: int, payload: bytes) -> _Valid | _Rejected:
        if kind == JobKind.CALL:
            try:
                call = ner_pb2.ExtractEntitiesRequest.FromString(payload)
            except DecodeError:
                return _Rejected("", InvalidArgument("request", MALFORMED))
            try:
                labels = label_filter(call.labels, self._labels)
                check_text(call.text, "text", self._max_text_chars)
            except NerError as error:
                return _Rejected("", error)
            return _Valid(JobKind.CALL, "", call.text, labels)
        try:
            request = ner_pb2.StreamExtractEntitiesRequest.FromString(payload)
        except DecodeError:
            return _Rejected("", InvalidArgument("document", MALFORMED))
        document = request.document
        try:
            labels = label_filter(request.labels, self._labels)
            check_text(document.text, "document.text", self._max_text_chars)
        except NerError as error:
            return _Rejected(document.id, error)
        return _Valid(JobKind.DOCUMENT, document.id, document.text, labels)

    def _extract_each(self, texts: list[str]) -> list[list[Entity] | NerError]:
        if not texts:
            return []
        try:
            return list(self._recognizer.extract(texts))
        except Exception:
            if len(texts) == 1:
                log.exception("the pipeline failed on a text of %d characters", len(texts[0]))
                return [InferenceFailed("the model failed on this text")]
        # One text broke the batch: run them one by one so only that one fails.
        return [outcome for text in texts for outcome in self._extract_each([text])]


def _answer(item: _Valid, found: list[Entity] | NerError) -> tuple[Outcome, int]:
    """The outcome, and the number of entities it holds."""
    if isinstance(found, NerError):
        if item.kind is JobKind.CALL:
            return Refused(found.code, "", found.message), 0
        return document_error(item.document_id, found), 0
    entities = entity_messages(found, item.labels)
    if item.kind is JobKind.CALL:
        response: bytes = ner_pb2.ExtractEntitiesResponse(entities=entities).SerializeToString()
        return response, len(entities)
    return document_entities(item.document_id, entities), len(entities)


def _refusal(kind: int, rejected: _Rejected) -> Outcome:
    error = rejected.error
    if kind == JobKind.CALL:
        if isinstance(error, InvalidArgument):
            return Refused(error.code, error.field, error.description)
        return Refused(error.code, "", error.message)
    return document_error(rejected.document_id, error)


def entity_messages(found: Iterable[Entity], labels: frozenset[str] | None) -> list[ner_pb2.Entity]:
    """The entities to answer with: those of the requested labels (every one when `labels` is None)."""
    return [to_message(entity) for entity in found if labels is None or entity.label in labels]
