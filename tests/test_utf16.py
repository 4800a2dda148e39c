"""UTF-16 offsets through the real server: every entity slices a JavaScript, Java or C# string.

The texts hold what makes UTF-16 code units differ from code points (emoji, a flag, an emoji
sequence with a skin tone, CJK and mathematical letters outside the Basic Multilingual Plane) and
what makes code points differ from what a reader sees (combining marks).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from ner_client import Document, NerClient
from ner_client.proto import ner_pb2

from tests import texts
from tests.reference import assert_offsets_slice

EXTRACT = "/ner.v1.NerService/ExtractEntities"
BATCH = "/ner.v1.NerService/BatchExtractEntities"
STREAM = "/ner.v1.NerService/StreamExtractEntities"

WIDE_TEXTS = [
    "🎉 Mariana Costa opened a bakery in Lisbon on 4 June 2021 🥐 and sold 300 croissants to "
    "visitors from Porto before noon.",
    "The 🇯🇵 team coached by Keiko Tanaka beat the 🇧🇷 side in Osaka last Sunday, and Toyota paid "
    "the players a bonus of ¥2 million.",
    "Rene\u0301e Dubois and Jose\u0301 Ortega flew from Quebec to Zu\u0308rich in May 2018 to meet "
    "engineers from Nestle\u0301.",
    "Li Wei met 𠮷田 Hiroshi at the Panasonic office in 名古屋 on 8 August 2016, then took the "
    "train to Kyoto 🚄 with Sato Yuki.",
    "👩🏾‍💻 Amara Okafor left Google in Nairobi in 2020 🚀 and founded a start-up in Lagos with Chinedu Eze.",
    "\U0001d401\U0001d428\U0001d425\U0001d41d letters aside, Tomas Lindqvist moved from Malmö to "
    "Stockholm in 1999 and joined Ericsson 📱 as an engineer.",
]

LONG_TEXT = "\n\n".join([*WIDE_TEXTS, texts.DOCUMENTS[4]["text"]])


def utf16_pair(text: str, start_char: int, end_char: int) -> tuple[int, int]:
    """The UTF-16 offsets of a code point span, counted the slow and obvious way."""
    start = len(text[:start_char].encode("utf-16-le")) // 2
    return start, start + len(text[start_char:end_char].encode("utf-16-le")) // 2


def check(text: str, entities: list[Any]) -> int:
    """Every pair slices the text; the UTF-16 pair is the one counted here. How many differ from
    the code point pair."""
    assert entities, f"no entities in {text[:40]!r}"
    assert_offsets_slice(text, entities)
    for entity in entities:
        assert (entity.start_utf16, entity.end_utf16) == utf16_pair(text, entity.start_char, entity.end_char)
    return sum(1 for entity in entities if entity.start_utf16 != entity.start_char)


def test_unary_utf16_offsets_slice_utf16_text(stub) -> None:
    shifted = 0
    for text in [*WIDE_TEXTS, LONG_TEXT]:
        response = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=60)
        shifted += check(text, list(response.entities))
    assert shifted >= 20, "the texts should move UTF-16 offsets away from code points"


def test_batch_utf16_offsets_slice_utf16_text(stub) -> None:
    documents = [ner_pb2.Document(id=str(i), text=t) for i, t in enumerate([*WIDE_TEXTS, LONG_TEXT])]
    response = stub.BatchExtractEntities(ner_pb2.BatchExtractEntitiesRequest(documents=documents), timeout=60)
    assert [r.id for r in response.results] == [d.id for d in documents]
    for document, result in zip(documents, response.results, strict=True):
        check(document.text, list(result.entities))


def test_stream_utf16_offsets_slice_utf16_text(stub) -> None:
    documents = [*WIDE_TEXTS, LONG_TEXT, *(d["text"] for d in texts.DOCUMENTS)]
    requests = (
        ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=str(i), text=t))
        for i, t in enumerate(documents)
    )
    results = [r.result for r in stub.StreamExtractEntities(requests, timeout=120)]
    assert [r.id for r in results] == [str(i) for i in range(len(documents))]
    for text, result in zip(documents, results, strict=True):
        check(text, list(result.entities))


def test_python_client_entities_carry_utf16_offsets(server) -> None:
    with NerClient(server.address) as client:
        found = client.extract(WIDE_TEXTS[0])
        streamed = list(client.stream([Document("a", WIDE_TEXTS[1])]))
    utf16 = WIDE_TEXTS[0].encode("utf-16-le")
    by_text = {e.text: e for e in found}
    lisbon = by_text["Lisbon"]
    assert (lisbon.start_char, lisbon.start_utf16) == (
        WIDE_TEXTS[0].index("Lisbon"),
        WIDE_TEXTS[0].index("Lisbon") + 1,
    )
    assert utf16[2 * lisbon.start_utf16 : 2 * lisbon.end_utf16].decode("utf-16-le") == "Lisbon"
    assert lisbon.as_dict()["start_utf16"] == lisbon.start_utf16
    check(WIDE_TEXTS[1], list(streamed[0].entities))


def test_python_protobuf_refuses_a_lone_surrogate_before_sending() -> None:
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        ner_pb2.ExtractEntitiesRequest(text="Lisbon \ud83c and Porto")


def test_a_lone_surrogate_sent_as_bytes_is_invalid_argument(channel) -> None:
    # What a client that encodes a lone surrogate as is (CESU-8 or WTF-8 style) puts on the wire.
    text = "Lisbon \ud83c and Porto".encode("utf-8", "surrogatepass")
    unary = channel.unary_unary(EXTRACT, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        unary(b"\x0a" + bytes([len(text)]) + text, timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UTF-8" in raised.value.details()

    document = b"\x0a\x01a\x12" + bytes([len(text)]) + text  # Document{id: "a", text}
    batch = channel.unary_unary(BATCH, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as raised:
        batch(b"\x0a" + bytes([len(document)]) + document, timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "UTF-8" in raised.value.details()

    stream = channel.stream_stream(
        STREAM,
        request_serializer=None,
        response_deserializer=ner_pb2.StreamExtractEntitiesResponse.FromString,
    )
    (response,) = stream(iter([b"\x0a" + bytes([len(document)]) + document]), timeout=30)
    assert response.result.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "UTF-8" in response.result.error.message


def test_a_lone_surrogate_replaced_by_the_client_keeps_utf16_offsets_valid(stub) -> None:
    # A JavaScript client's TextEncoder (and so grpc-js and protobuf-es) sends U+FFFD for each
    # lone surrogate: one UTF-16 code unit for one, so the offsets still slice the caller's string.
    original = "Lisbon \ud83c and Porto \udfc6 welcomed Mariana Costa in 2021."
    sent = original.replace("\ud83c", "\ufffd").replace("\udfc6", "\ufffd")
    entities = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=sent), timeout=30).entities
    check(sent, list(entities))
    utf16 = original.encode("utf-16-le", "surrogatepass")
    assert {e.text for e in entities} >= {"Lisbon", "Porto"}
    for entity in entities:
        assert utf16[2 * entity.start_utf16 : 2 * entity.end_utf16].decode("utf-16-le") == entity.text
