"""Plain values the client returns: no protobuf types leak out."""

from __future__ import annotations

from dataclasses import dataclass

import grpc


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity. Offsets are end-exclusive; `*_char` count code points (they slice a Python
    str), `*_byte` UTF-8 bytes, `*_utf16` UTF-16 code units (they slice a JavaScript, Java or C#
    string)."""

    text: str
    label: str
    start_char: int
    end_char: int
    start_byte: int
    end_byte: int
    start_token: int
    end_token: int
    start_utf16: int
    end_utf16: int

    def as_dict(self) -> dict[str, str | int]:
        """The fields by name, as `ner-tag` writes them (ready for `json.dumps`)."""
        return {
            "text": self.text,
            "label": self.label,
            "start_char": self.start_char,
            "end_char": self.end_char,
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "start_token": self.start_token,
            "end_token": self.end_token,
            "start_utf16": self.start_utf16,
            "end_utf16": self.end_utf16,
        }


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
