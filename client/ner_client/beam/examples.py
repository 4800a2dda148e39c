"""What TagEntities takes and gives: input elements to examples, answers to output records.

An input element is a dict with `id` and `text` (every other field is passed through to the
record, after `entities`) or a `(key, text)` pair. A record is what `ner-tag` writes for the same
document: `{"id": ..., "entities": [...], <other fields>}`; a pair's record comes back as
`(key, record)`. A document that cannot be tagged becomes a dead letter, `{"id", "code",
"message"}`, as in `ner-tag`'s errors file.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ner_client.types import DocumentResult


class Example(NamedTuple):
    """One document on its way to the service. `problem` set: never sent, a dead letter."""

    id_value: Any
    id: str
    text: str
    extra: dict[str, Any]
    keyed: bool
    problem: str | None = None


class Answer(NamedTuple):
    """One document's outcome: a record, or a dead letter."""

    example: Example
    record: dict[str, Any] | None = None
    entities: int = 0
    dead_letter: dict[str, Any] | None = None


def example(element: Any) -> Example:
    """The example for a dict or a `(key, text)` pair; anything else is a dead letter to be."""
    if isinstance(element, dict):
        fields = dict(element)
        id_value = fields.pop("id", None)
        text = fields.pop("text", None)
        document_id = id_value if isinstance(id_value, str) else json.dumps(id_value)
        if id_value is None:
            return Example(None, "", "", fields, False, "no field 'id'")
        if not isinstance(text, str):
            return Example(id_value, document_id, "", fields, False, "no string field 'text'")
        return Example(id_value, document_id, text, fields, False)
    if isinstance(element, tuple) and len(element) == 2:
        key, text = element
        document_id = key if isinstance(key, str) else json.dumps(key)
        if not isinstance(text, str):
            return Example(key, document_id, "", {}, True, "the text of a (key, text) pair is not a str")
        return Example(key, document_id, text, {}, True)
    return Example(None, "", "", {}, False, f"not a dict or a (key, text) pair: {type(element).__name__}")


def utf8_size(example: Example) -> int:
    return len(example.text.encode("utf-8"))


def tagged(example: Example, result: DocumentResult) -> Answer:
    record: dict[str, Any] = {
        "id": example.id_value,
        "entities": [entity.as_dict() for entity in result.entities],
    }
    record.update(example.extra)
    return Answer(example, record, len(result.entities))


def failed(example: Example, code: str, message: str) -> Answer:
    return Answer(example, dead_letter={"id": example.id_value, "code": code, "message": message})


def output(answer: Answer) -> Any:
    """The record as the transform emits it: as is, or `(key, record)` for a pair."""
    return (answer.example.id_value, answer.record) if answer.example.keyed else answer.record
