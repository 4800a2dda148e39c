"""One entity: its fields, defined once for the client and the server, and its protobuf message
both ways. Free of gRPC, so the server's model processes use it too.

A new field is added in protos/ner/v1/ner.proto and here, in the proto's order
(tests/test_entity_fields.py checks that both list the same fields).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter

from ner_client.proto import ner_pb2

__all__ = ["FIELDS", "Entity", "from_message", "to_message"]


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
        return dict(zip(FIELDS, _values(self), strict=True))


#: The names of Entity's fields, in order (the order of ner.v1.Entity's fields).
FIELDS: tuple[str, ...] = tuple(field.name for field in fields(Entity))

#: An entity's or an entity message's values, in the order of FIELDS.
_values = attrgetter(*FIELDS)


def from_message(message: ner_pb2.Entity) -> Entity:
    return Entity(*_values(message))


def to_message(entity: Entity) -> ner_pb2.Entity:
    return ner_pb2.Entity(**dict(zip(FIELDS, _values(entity), strict=True)))
