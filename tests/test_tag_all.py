"""`tag_all`: ner-tag's engine as a method of both clients, run against a real server (and against
a port where nothing listens, for what it logs)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import AsyncIterator
from typing import Any

from ner_client import AsyncNerClient, Document, NerClient
from ner_client.bulk import BulkSettings

from tests import texts
from tests.support import ServerProcess
from tests.tag_support import expected_rows

#: Several roll-overs of every stream within the job.
ROLLING = BulkSettings(streams=3, window=4, stream_documents=11)
COUNT = 120


def _documents() -> list[Document]:
    return [Document(row["id"], row["text"]) for row in texts.rows(COUNT)]


def _as_rows(results: list[Any]) -> list[dict[str, Any]]:
    return [{"id": r.id, "entities": [e.as_dict() for e in r.entities]} for r in results]


def test_async_tag_all_yields_every_result_once_in_input_order_across_roll_overs(
    server: ServerProcess, nlp: Any
) -> None:
    documents = _documents()

    async def source() -> AsyncIterator[Document]:
        for document in documents:
            yield document

    async def run() -> list[Any]:
        async with AsyncNerClient(server.address, retries=False) as client:
            return [result async for result in client.tag_all(source(), settings=ROLLING)]

    results = asyncio.run(run())
    assert all(result.ok for result in results)
    expected = expected_rows(nlp, [{"id": d.id, "text": d.text} for d in documents])
    assert _as_rows(results) == expected


def test_blocking_tag_all_takes_plain_strings_and_labels_and_keeps_their_order(server: ServerProcess) -> None:
    sentences = ["Ada Lovelace lived in London.", "Kyoto is in Japan.", "Oslo and Bergen are in Norway."] * 30
    with NerClient(server.address) as client:
        results = list(client.tag_all(iter(sentences), labels=["GPE"], settings=ROLLING))
    assert [result.id for result in results] == [str(index) for index in range(len(sentences))]
    assert [[e.text for e in result.entities] for result in results[:3]] == [
        ["London"],
        ["Kyoto", "Japan"],
        ["Oslo", "Bergen", "Norway"],
    ]
    assert all(entity.label == "GPE" for result in results for entity in result.entities)


def test_blocking_tag_all_left_early_stops_its_thread(server: ServerProcess) -> None:
    with NerClient(server.address) as client:
        results = client.tag_all(d.text for d in _documents())
        first = [next(results) for _ in range(5)]
        results.close()
    assert [result.id for result in first] == ["0", "1", "2", "3", "4"]
    assert not any(thread.name == "ner-tag-all" for thread in threading.enumerate())


def test_tag_all_logs_an_unreachable_target_and_why_at_its_first_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        target = f"localhost:{probe.getsockname()[1]}"  # nothing listens once the probe is closed
    records: list[logging.LogRecord] = []

    async def run() -> bool:
        told = asyncio.Event()

        class Told(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                records.append(record)
                told.set()

        handler = Told(logging.INFO)
        logger = logging.getLogger("ner_client.bulk")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            async with AsyncNerClient(target, retries=False) as client:
                results = client.tag_all(["Kyoto is in Japan."], settings=BulkSettings(retry_budget=600))
                job = asyncio.ensure_future(anext(results))
                await asyncio.wait_for(told.wait(), 60)
                still_trying = not job.done()
                job.cancel()
                await asyncio.gather(job, return_exceptions=True)
                await results.aclose()
                return still_trying
        finally:
            logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)

    assert asyncio.run(run()), "logged only once the retry budget was spent"
    first = records[0]
    assert first.levelno == logging.WARNING
    assert first.getMessage().startswith(f"cannot reach {target}: nothing listens at that address and port")
    assert "retrying for up to 600 s" in first.getMessage()
