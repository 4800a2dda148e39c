"""Every reply equals in-process spaCy, through each RPC, on two bodies of text: the project's own
(`tests/texts.py`, always there: scripts and characters that move byte offsets) and the shared
corpus of text written by others (skipped when `NER_CORPUS_DIR` does not hold it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ner_client import NerClient
from ner_client.proto import ner_pb2

from tests import texts
from tests.reference import Row, assert_offsets_slice, expected_rows, rows
from tests.support import ServerProcess


@dataclass(frozen=True)
class Corpus:
    documents: list[dict[str, str]]
    paragraphs: list[dict[str, str]]
    expected_documents: list[list[Row]]
    expected_paragraphs: list[list[Row]]


@pytest.fixture(scope="module", params=["project", "shared"])
def corpus(request: pytest.FixtureRequest, nlp: Any) -> Corpus:
    if request.param == "project":
        documents, paragraphs = texts.DOCUMENTS, texts.PARAGRAPHS
    else:
        documents = request.getfixturevalue("gum_documents")
        paragraphs = request.getfixturevalue("gum_paragraphs")
    return Corpus(
        documents,
        paragraphs,
        expected_rows(nlp, [d["text"] for d in documents]),
        expected_rows(nlp, [d["text"] for d in paragraphs]),
    )


def test_unary_matches_in_process_spacy_on_long_documents(stub, corpus: Corpus) -> None:
    for document, expected in zip(corpus.documents, corpus.expected_documents, strict=True):
        response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=document["text"]), timeout=60)
        assert rows(response.entities) == expected, document["id"]
        assert_offsets_slice(document["text"], response.entities)


def test_batch_matches_in_process_spacy_on_paragraphs(stub, corpus: Corpus) -> None:
    chunk = 500
    for start in range(0, len(corpus.paragraphs), chunk):
        part = corpus.paragraphs[start : start + chunk]
        request = ner_pb2.BatchExtractEntitiesRequest(
            documents=[ner_pb2.Document(id=d["id"], text=d["text"]) for d in part]
        )
        response = stub.BatchExtractEntities(request, timeout=120)
        assert [r.id for r in response.results] == [d["id"] for d in part]
        for document, result, expected in zip(
            part, response.results, corpus.expected_paragraphs[start:], strict=False
        ):
            assert not result.HasField("error")
            assert rows(result.entities) == expected, document["id"]
            assert_offsets_slice(document["text"], result.entities)


@pytest.mark.parametrize("kind", ["documents", "paragraphs"])
def test_stream_matches_in_process_spacy_in_input_order(stub, corpus: Corpus, kind: str) -> None:
    documents = corpus.documents if kind == "documents" else corpus.paragraphs
    expected = corpus.expected_documents if kind == "documents" else corpus.expected_paragraphs
    requests = (
        ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=d["id"], text=d["text"]))
        for d in documents
    )
    results = [response.result for response in stub.StreamExtractEntities(requests, timeout=300)]
    assert [r.id for r in results] == [d["id"] for d in documents]
    for document, result, want in zip(documents, results, expected, strict=True):
        assert rows(result.entities) == want, document["id"]
        assert_offsets_slice(document["text"], result.entities)


def test_the_project_texts_move_byte_offsets_away_from_code_points(nlp: Any) -> None:
    """Fidelity on text where every offset kind agrees would prove little about the conversions."""
    found = [
        entity
        for entities in expected_rows(nlp, [d["text"] for d in texts.PARAGRAPHS])
        for entity in entities
    ]
    assert len(found) > 5 * len(texts.PARAGRAPHS)
    start_char, start_byte = 2, 4
    assert sum(1 for entity in found if entity[start_byte] != entity[start_char]) > len(found) // 10


@pytest.fixture(scope="module")
def full_server() -> Iterator[ServerProcess]:
    server = ServerProcess(["--workers", "1", "--pipeline", "full"])
    try:
        server.wait_serving()
        yield server
    finally:
        assert server.stop() == 0


@pytest.fixture(scope="module")
def full_nlp() -> Any:
    from ner_server.worker.loading import load_pipeline

    return load_pipeline("en_core_web_md", "full", matmul="blis")


def test_full_pipeline_matches_spacy_load_on_paragraphs(
    corpus: Corpus, full_server: ServerProcess, full_nlp: Any
) -> None:
    part = corpus.paragraphs[:200]
    expected = expected_rows(full_nlp, [d["text"] for d in part])
    with NerClient(full_server.address) as client:
        assert client.model_info().pipeline == tuple(full_nlp.pipe_names)
        results = list(client.stream(d["text"] for d in part))
    assert [rows(r.entities) for r in results] == expected
