"""An entity's fields are defined once in Python (`ner_client.entity`), in the proto's order, and
travel through both conversions unchanged."""

from __future__ import annotations

import json

from ner_client.entity import FIELDS, Entity, from_message, to_message
from ner_client.proto import ner_pb2


def test_entity_lists_the_proto_fields_in_order() -> None:
    assert FIELDS == tuple(field.name for field in ner_pb2.Entity.DESCRIPTOR.fields)


def test_entity_survives_its_message_and_writes_the_same_json() -> None:
    entity = Entity("Zoë Ånström", "PERSON", 3, 14, 3, 17, 1, 3, 3, 14)
    message = to_message(entity)
    assert message.start_byte == 3 and message.end_byte == 17 and message.label == "PERSON"
    assert from_message(message) == entity
    assert json.dumps(entity.as_dict(), ensure_ascii=False) == (
        '{"text": "Zoë Ånström", "label": "PERSON", "start_char": 3, "end_char": 14, "start_byte": 3, '
        '"end_byte": 17, "start_token": 1, "end_token": 3, "start_utf16": 3, "end_utf16": 14}'
    )
