"""Bad and unusual input: a clear status or an exact answer, never a traceback or a crash."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ner_client.proto import ner_pb2

from tests.reference import assert_offsets_slice, expected_rows, rows
from tests.support import ServerProcess

EXTRACT = "/ner.v1.NerService/ExtractEntities"
STREAM = "/ner.v1.NerService/StreamExtractEntities"

UNUSUAL_TEXTS = {
    "emoji and ZWJ": "The 👩‍👩‍👧‍👦 family from Toronto met 🧑🏽‍🚀 Chris Hadfield in Ottawa.",
    "combining marks": "Zoe\u0308 Martínez left Bogota\u0301 for Sevilla in June 2020.",
    "CJK": "東京 visitors met Barack Obama in 北京 and Tokyo last March.",
    "right to left": "Benjamin Netanyahu spoke in ירושלים and Amman, says الجزيرة in Doha.",
    "CRLF and tabs": "Apple Inc.\r\nopened\tin Dublin\r\non Monday.\t\tTim Cook spoke.",
    "NUL": "Siemens\x00 moved to Munich\x00 in 1949 under Ernst von Siemens.",
    "byte order mark": "\ufeffMicrosoft hired Satya Nadella in Seattle in 1992.",
}


def raw_text_field(payload: bytes) -> bytes:
    """A serialized request whose field 1 (text) holds `payload` as is."""
    return b"\x0a" + bytes([len(payload)]) + payload


@pytest.mark.parametrize("name", sorted(UNUSUAL_TEXTS))
def test_unusual_text_has_exact_offsets_and_matches_spacy(stub, nlp, name: str) -> None:
    text = UNUSUAL_TEXTS[name]
    response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=30)
    assert rows(response.entities) == expected_rows(nlp, [text])[0]
    assert_offsets_slice(text, response.entities)
    assert response.entities, f"expected entities in the {name} text"


def test_invalid_utf8_is_invalid_argument_not_internal(channel) -> None:
    call = channel.unary_unary(EXTRACT, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        call(raw_text_field(b"Paris \xff\xfe caf\xc3"), timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UTF-8" in raised.value.details()


def test_invalid_utf8_in_a_stream_is_a_per_document_error(channel) -> None:
    call = channel.stream_stream(
        STREAM,
        request_serializer=None,
        response_deserializer=ner_pb2.StreamExtractEntitiesResponse.FromString,
    )

    def document(text: bytes) -> bytes:
        inner = b"\x0a\x01x" + b"\x12" + bytes([len(text)]) + text  # Document{id: "x", text}
        return b"\x0a" + bytes([len(inner)]) + inner

    responses = list(call(iter([document(b"Lima."), document(b"\xc0\xaf"), document(b"Quito.")]), timeout=30))
    assert [r.result.error.code for r in responses] == [0, grpc.StatusCode.INVALID_ARGUMENT.value[0], 0]
    assert [e.text for r in responses for e in r.result.entities] == ["Lima", "Quito"]


def test_errors_carry_no_traceback_or_internal_path(stub, channel) -> None:
    raw = channel.unary_unary(EXTRACT, request_serializer=None, response_deserializer=None)
    attempts = [
        lambda: stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=""), timeout=30),
        lambda: stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text="x", labels=["NOPE"]), timeout=30),
        lambda: raw(raw_text_field(b"\xff"), timeout=30),
        lambda: raw(b"\xff\xff\xff", timeout=30),
    ]
    for attempt in attempts:
        with pytest.raises(grpc.RpcError) as raised:
            attempt()
        details = raised.value.details() or ""
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, details
        assert "Traceback" not in details and ".py" not in details and "/" not in details


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300))
def test_any_unicode_text_gets_offsets_that_slice_it_and_matches_spacy(stub, nlp, text: str) -> None:
    response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=30)
    assert_offsets_slice(text, response.entities)
    assert rows(response.entities) == expected_rows(nlp, [text])[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(
        st.sampled_from(
            ["Angela", "Merkel", "Zürich", "東京", "in", "2019", "Google", "—", "🙂", "São", "Paulo", "."]
        ),
        min_size=1,
        max_size=40,
    )
)
def test_entity_rich_unicode_text_matches_spacy(stub, nlp, words: list[str]) -> None:
    text = " ".join(words)
    response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=30)
    assert_offsets_slice(text, response.entities)
    assert rows(response.entities) == expected_rows(nlp, [text])[0]


def test_message_over_the_receive_limit_is_resource_exhausted() -> None:
    server = ServerProcess(["--workers", "1", "--max-message-bytes", "20000"])
    try:
        server.wait_serving()
        with grpc.insecure_channel(server.address) as channel:
            call = channel.unary_unary(EXTRACT, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.RpcError) as raised:
                call(ner_pb2.ExtractEntitiesRequest(text="Oslo. " * 5000).SerializeToString(), timeout=30)
            assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert server.health() == health_pb2.HealthCheckResponse.SERVING
    finally:
        assert server.stop() == 0
