"""Code point to UTF-8 byte offsets, on text where the two differ."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from ner_server.offsets import byte_offsets


def test_ascii_offsets_are_unchanged() -> None:
    assert byte_offsets("Oslo and Rome", [(0, 4), (9, 13)]) == [(0, 4), (9, 13)]


def test_multibyte_characters_shift_later_offsets() -> None:
    text = "Zürich → São Paulo 👩‍🔬 Kyōto"
    spans = [(0, 6), (9, 18), (21, 26)]
    encoded = text.encode("utf-8")
    for (start, end), (start_byte, end_byte) in zip(spans, byte_offsets(text, spans), strict=True):
        assert encoded[start_byte:end_byte].decode("utf-8") == text[start:end]


@given(st.text(min_size=1), st.data())
def test_byte_offsets_slice_the_same_text_as_code_point_offsets(text: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=8)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    encoded = text.encode("utf-8", "surrogatepass")
    for (start, end), (start_byte, end_byte) in zip(spans, byte_offsets(text, spans), strict=True):
        assert encoded[start_byte:end_byte] == text[start:end].encode("utf-8", "surrogatepass")
