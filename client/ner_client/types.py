"""Plain values the client returns: no protobuf types leak out."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from ner_client.entity import Entity

__all__ = ["Document", "DocumentError", "DocumentResult", "Entity", "Limits", "ModelInfo"]


@dataclass(frozen=True, slots=True)
class DocumentError:
    """Why one document of a batch or stream could not be tagged."""

    code: grpc.StatusCode
    message: str


@dataclass(frozen=True, slots=True)
class DocumentResult:
    """The result for one document: its entities, or an error."""

    id: str
    entities: tuple[Entity, ...]
    error: DocumentError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Document:
    """A text with an id of the caller's choosing."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_chars: int
    max_batch_documents: int
    max_message_bytes: int
    stream_window: int


@dataclass(frozen=True, slots=True)
class ModelInfo:
    model_name: str
    model_version: str
    spacy_version: str
    labels: tuple[str, ...]
    pipeline: tuple[str, ...]
    workers: int
    limits: Limits
