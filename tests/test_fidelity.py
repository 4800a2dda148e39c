"""Every reply equals in-process spaCy on the shared corpus, through each RPC."""

from __future__ import annotations

import pytest
from ner_client.proto import ner_pb2

from tests.reference import assert_offsets_slice, expected_rows, rows


@pytest.fixture(scope="module")
def expected_documents(nlp, gum_documents):
    return expected_rows(nlp, [d["text"] for d in gum_documents])


@pytest.fixture(scope="module")
def expected_paragraphs(nlp, gum_paragraphs):
    return expected_rows(nlp, [d["text"] for d in gum_paragraphs])


def test_unary_matches_in_process_spacy_on_long_documents(stub, gum_documents, expected_documents) -> None:
    for document, expected in zip(gum_documents, expected_documents, strict=True):
        response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=document["text"]), timeout=60)
        assert rows(response.entities) == expected, document["id"]
        assert_offsets_slice(document["text"], response.entities)


def test_batch_matches_in_process_spacy_on_paragraphs(stub, gum_paragraphs, expected_paragraphs) -> None:
    chunk = 500
    for start in range(0, len(gum_paragraphs), chunk):
        part = gum_paragraphs[start : start + chunk]
        request = ner_pb2.BatchExtractEntitiesRequest(
            documents=[ner_pb2.Document(id=d["id"], text=d["text"]) for d in part]
        )
        response = stub.BatchExtractEntities(request, timeout=120)
        assert [r.id for r in response.results] == [d["id"] for d in part]
        for document, result, expected in zip(
            part, response.results, expected_paragraphs[start:], strict=False
        ):
            assert not result.HasField("error")
            assert rows(result.entities) == expected, document["id"]
            assert_offsets_slice(document["text"], result.entities)


@pytest.mark.parametrize("corpus", ["gum_documents", "gum_paragraphs"])
def test_stream_matches_in_process_spacy_in_input_order(stub, corpus, request) -> None:
    documents = request.getfixturevalue(corpus)
    expected = request.getfixturevalue(
        "expected_documents" if corpus == "gum_documents" else "expected_paragraphs"
    )
    requests = (
        ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=d["id"], text=d["text"]))
        for d in documents
    )
    results = [response.result for response in stub.StreamExtractEntities(requests, timeout=300)]
    assert [r.id for r in results] == [d["id"] for d in documents]
    for document, result, want in zip(documents, results, expected, strict=True):
        assert rows(result.entities) == want, document["id"]
        assert_offsets_slice(document["text"], result.entities)


def test_full_pipeline_matches_spacy_load_on_paragraphs(gum_paragraphs) -> None:
    from ner_client import NerClient
    from ner_server.model import load_pipeline

    from tests.support import ServerProcess

    server = ServerProcess(["--workers", "1", "--pipeline", "full"])
    try:
        server.wait_serving()
        part = gum_paragraphs[:200]
        full = load_pipeline("en_core_web_md", "full")
        expected = expected_rows(full, [d["text"] for d in part])
        with NerClient(server.address) as client:
            assert client.model_info().pipeline == tuple(full.pipe_names)
            results = list(client.stream(d["text"] for d in part))
        assert [rows(r.entities) for r in results] == expected
    finally:
        assert server.stop() == 0
