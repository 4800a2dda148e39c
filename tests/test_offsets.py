"""Code point offsets to UTF-8 byte and UTF-16 code unit offsets, on text where they differ."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from ner_server.worker.offsets import encoded_offsets


def test_ascii_offsets_are_unchanged() -> None:
    assert encoded_offsets("Oslo and Rome", [(0, 4), (9, 13)]) == [(0, 4, 0, 4), (9, 13, 9, 13)]


def test_multibyte_characters_shift_later_offsets() -> None:
    text = "Zürich → São Paulo 👩‍🔬 Kyōto"
    spans = [(0, 6), (9, 18), (21, 26)]
    utf8, utf16 = text.encode("utf-8"), text.encode("utf-16-le")
    found = encoded_offsets(text, spans)
    for (start, end), (start_byte, end_byte, start_utf16, end_utf16) in zip(spans, found, strict=True):
        assert utf8[start_byte:end_byte].decode("utf-8") == text[start:end]
        assert utf16[2 * start_utf16 : 2 * end_utf16].decode("utf-16-le") == text[start:end]


def test_characters_outside_the_bmp_count_two_utf16_units() -> None:
    # 🎉: one code point, four UTF-8 bytes, two UTF-16 code units (a surrogate pair).
    assert encoded_offsets("🎉 Ana and é", [(2, 5), (10, 11)]) == [
        (5, 8, 3, 6),
        (13, 15, 11, 12),
    ]


def test_bmp_only_text_has_utf16_offsets_equal_to_code_points() -> None:
    text = "東京 and Zoe\u0308 in Ἀθῆναι"
    spans = [(0, 2), (7, 11), (15, 21)]
    assert [(start, end) for _, _, start, end in encoded_offsets(text, spans)] == spans


@given(st.text(min_size=1), st.data())
def test_encoded_offsets_slice_the_same_text_as_code_point_offsets(text: str, data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), min_size=2, max_size=8)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    utf8 = text.encode("utf-8", "surrogatepass")
    utf16 = text.encode("utf-16-le", "surrogatepass")
    for (start, end), found in zip(spans, encoded_offsets(text, spans), strict=True):
        start_byte, end_byte, start_utf16, end_utf16 = found
        assert utf8[start_byte:end_byte] == text[start:end].encode("utf-8", "surrogatepass")
        assert utf16[2 * start_utf16 : 2 * end_utf16] == text[start:end].encode("utf-16-le", "surrogatepass")
