"""The RPCs' documented behaviour: order and ids, label filters, model info, invalid input."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from ner_client.proto import ner_pb2

TEXT = "In March 2019 the mayor of Lyon met engineers from Siemens in Hamburg."


def stream_requests(items, labels=()):
    for doc_id, text in items:
        yield ner_pb2.StreamExtractEntitiesRequest(
            document=ner_pb2.Document(id=doc_id, text=text), labels=labels
        )


def bad_request_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    fields = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        assert detail.Unpack(bad_request)
        fields += [violation.field for violation in bad_request.field_violations]
    return fields


def test_stream_keeps_input_order_and_echoes_ids(stub) -> None:
    items = [(f"doc-{i}", f"{TEXT} Item {i}." if i % 3 else "Paris.") for i in range(150)]
    results = [r.result for r in stub.StreamExtractEntities(stream_requests(items), timeout=60)]
    assert [r.id for r in results] == [doc_id for doc_id, _ in items]
    assert [r.entities[0].text for r in results[::3]] == ["Paris"] * 50


def test_stream_answers_duplicate_ids_as_sent(stub) -> None:
    items = [("same", "Rome."), ("same", "Madrid."), ("", "Oslo.")]
    results = [r.result for r in stub.StreamExtractEntities(stream_requests(items), timeout=60)]
    assert [(r.id, r.entities[0].text) for r in results] == [
        ("same", "Rome"),
        ("same", "Madrid"),
        ("", "Oslo"),
    ]


def test_stream_reports_a_bad_document_and_goes_on(stub) -> None:
    items = [("a", "Vienna."), ("empty", ""), ("b", "Prague.")]
    results = [r.result for r in stub.StreamExtractEntities(stream_requests(items), timeout=60)]
    assert [r.id for r in results] == ["a", "empty", "b"]
    assert results[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "document.text" in results[1].error.message
    assert [r.entities[0].text for r in (results[0], results[2])] == ["Vienna", "Prague"]


def test_label_filter_keeps_only_requested_labels(stub) -> None:
    everything = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=TEXT), timeout=30).entities
    places = stub.ExtractEntities(
        ner_pb2.ExtractEntitiesRequest(text=TEXT, labels=["GPE"]), timeout=30
    ).entities
    assert {e.label for e in everything} > {"GPE"}
    assert [e.text for e in places] == [e.text for e in everything if e.label == "GPE"]


def test_unknown_label_is_invalid_argument_listing_valid_labels(stub) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=TEXT, labels=["PLANET"]), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "PLANET" in raised.value.details() and "PERSON" in raised.value.details()
    assert bad_request_fields(raised.value) == ["labels"]


def test_empty_text_is_invalid_argument_with_a_field_violation(stub) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=""), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(raised.value) == ["text"]


def test_over_long_text_is_invalid_argument_naming_the_limit(stub) -> None:
    limit = stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30).limits.max_text_chars
    with pytest.raises(grpc.RpcError) as raised:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text="a" * (limit + 1)), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "text" in raised.value.details() and str(limit) in raised.value.details()


def test_batch_over_the_document_limit_is_invalid_argument(stub) -> None:
    limit = stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30).limits.max_batch_documents
    documents = [ner_pb2.Document(id=str(i), text="Oslo.") for i in range(limit + 1)]
    with pytest.raises(grpc.RpcError) as raised:
        stub.BatchExtractEntities(ner_pb2.BatchExtractEntitiesRequest(documents=documents), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(raised.value) == ["documents"]


def test_batch_answers_in_document_order(stub) -> None:
    cities = ["Lima", "Quito", "Bogota", "Caracas", "Santiago"]
    documents = [ner_pb2.Document(id=city.lower(), text=f"{city}.") for city in cities]
    response = stub.BatchExtractEntities(ner_pb2.BatchExtractEntitiesRequest(documents=documents), timeout=30)
    assert [(r.id, r.entities[0].text) for r in response.results] == [(c.lower(), c) for c in cities]


def test_whitespace_only_text_has_no_entities(stub) -> None:
    response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=" \n\t "), timeout=30)
    assert list(response.entities) == []


def test_model_info_describes_model_pipeline_and_limits(stub, nlp) -> None:
    import spacy

    info = stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30)
    assert (info.model_name, info.model_version) == ("en_core_web_md", "3.8.0")
    assert info.spacy_version == spacy.__version__
    assert list(info.pipeline) == ["ner"]
    assert set(info.labels) == set(nlp.get_pipe("ner").labels)
    assert info.workers == 2
    assert info.limits.max_text_chars == 100_000
    assert info.limits.max_batch_documents == 1_000
    assert info.limits.max_message_bytes == 16 * 1024 * 1024
    assert info.limits.stream_window == 2 * 2 * 64  # two batches of 64 per worker
