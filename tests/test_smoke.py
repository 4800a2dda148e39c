from __future__ import annotations

from ner_client.proto import ner_pb2


def test_extract_entities_finds_a_place(stub) -> None:
    text = "Grace Hopper worked in Arlington, Virginia."
    response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=30)
    found = {(entity.text, entity.label) for entity in response.entities}
    assert ("Virginia", "GPE") in found
    for entity in response.entities:
        assert text[entity.start_char : entity.end_char] == entity.text
