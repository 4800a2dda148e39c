"""What in-process spaCy says, in the shape the service answers with, for comparisons."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ner_server.worker.recognizer import Recognizer

Row = tuple[str, str, int, int, int, int, int, int, int, int]


def expected_rows(nlp: Any, texts: Sequence[str]) -> list[list[Row]]:
    return [rows(records) for records in Recognizer(nlp, keep_words=0).extract(texts)]


def rows(entities: Iterable[Any]) -> list[Row]:
    """Protobuf or client entities as comparable tuples."""
    return [
        (
            e.text,
            e.label,
            e.start_char,
            e.end_char,
            e.start_byte,
            e.end_byte,
            e.start_token,
            e.end_token,
            e.start_utf16,
            e.end_utf16,
        )
        for e in entities
    ]


def assert_offsets_slice(text: str, entities: Iterable[Any]) -> None:
    """Each offset pair slices the text's own encoding to the entity's text."""
    utf8 = text.encode("utf-8")
    utf16 = text.encode("utf-16-le")
    for e in entities:
        assert text[e.start_char : e.end_char] == e.text
        assert utf8[e.start_byte : e.end_byte].decode("utf-8") == e.text
        assert utf16[2 * e.start_utf16 : 2 * e.end_utf16].decode("utf-16-le") == e.text
