"""The typed client, sync and asyncio, against the real server."""

from __future__ import annotations

import asyncio
import dataclasses

import grpc
import pytest
from google.rpc import code_pb2
from ner_client import AsyncNerClient, Document, Entity, NerClient, status
from ner_client._channel import audience_of, parse_target

TEXT = "Toni Morrison taught at Princeton University from 1989."


def test_sync_client_returns_plain_entities(server) -> None:
    with NerClient(server.address) as client:
        entities = client.extract(TEXT)
        assert all(isinstance(e, Entity) for e in entities)
        assert ("Princeton University", "ORG") in {(e.text, e.label) for e in entities}
        batch = client.extract_batch([TEXT, Document("mine", "Lagos.")], labels=["GPE"])
        assert [(r.id, [e.text for e in r.entities]) for r in batch] == [("0", []), ("mine", ["Lagos"])]
        streamed = list(client.stream(f"{city}." for city in ["Rome", "Madrid", "Oslo"]))
        assert [(r.id, r.entities[0].text, r.ok) for r in streamed] == [
            ("0", "Rome", True),
            ("1", "Madrid", True),
            ("2", "Oslo", True),
        ]
        assert client.model_info().model_name == "en_core_web_md"


def test_sync_client_reports_a_bad_streamed_document_as_its_error(server) -> None:
    with NerClient(server.address) as client:
        results = list(client.stream(["Vienna.", "", "Prague."]))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error is not None and results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT


def test_sync_client_raises_invalid_argument_for_empty_text(server) -> None:
    with NerClient(server.address) as client, pytest.raises(grpc.RpcError) as raised:
        client.extract("")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_async_client_matches_the_sync_client(server) -> None:
    async def run() -> tuple[list[Entity], list[str]]:
        async with AsyncNerClient(server.address) as client:
            entities = await client.extract(TEXT)

            async def texts():
                for city in ["Rome", "Madrid"]:
                    yield city + "."

            streamed = [r.entities[0].text async for r in client.stream(texts())]
            return entities, streamed

    entities, streamed = asyncio.run(run())
    with NerClient(server.address) as client:
        assert entities == client.extract(TEXT)
    assert streamed == ["Rome", "Madrid"]


def test_client_has_a_deadline_by_default(server) -> None:
    with NerClient(server.address, timeout=0.000001) as client, pytest.raises(grpc.RpcError) as raised:
        client.extract(TEXT)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


def test_cloud_run_urls_mean_tls_on_443() -> None:
    target = parse_target("https://ner-abc123-ew.a.run.app")
    assert (target.address, target.tls) == ("ner-abc123-ew.a.run.app:443", True)
    assert parse_target("localhost:50051").tls is False
    assert audience_of("https://ner-abc123-ew.a.run.app") == "https://ner-abc123-ew.a.run.app"


def test_a_client_without_retries_answers_like_the_default_one(server) -> None:
    async def run() -> list[Entity]:
        async with AsyncNerClient(server.address, retries=False) as client:
            return await client.extract(TEXT, timeout=10)

    with NerClient(server.address, retries=False) as resending, NerClient(server.address) as retrying:
        assert resending.extract(TEXT) == retrying.extract(TEXT) == asyncio.run(run())


def test_entity_as_dict_has_every_field() -> None:
    entity = Entity("Lagos", "GPE", 0, 5, 0, 5, 0, 1, 0, 5)
    assert entity.as_dict() == dataclasses.asdict(entity)
    assert list(entity.as_dict()) == [field.name for field in dataclasses.fields(Entity)]


def test_status_numbers_are_the_google_rpc_codes_both_ways() -> None:
    for code in grpc.StatusCode:
        assert status.number(code) == getattr(code_pb2, code.name)
        assert status.from_number(status.number(code)) is code
        assert status.name(status.number(code)) == status.name(code) == code.name
    assert status.from_number(99) is grpc.StatusCode.UNKNOWN
    assert status.name(99) == "99"
    assert status.TRANSIENT_DOCUMENT <= status.RETRYABLE_CALL
    assert grpc.StatusCode.INVALID_ARGUMENT not in status.RETRYABLE_CALL
