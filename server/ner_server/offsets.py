"""Code point offsets to UTF-8 byte offsets."""

from __future__ import annotations

from collections.abc import Sequence


def byte_offsets(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The UTF-8 byte offsets of code point spans of `text`.

    Spans must be sorted by start and must not overlap (as a Doc's entities are); each part of
    the text is encoded once, so the cost is linear in the text length.
    """
    if text.isascii():
        return list(spans)
    converted = []
    position = 0
    byte_position = 0
    for start, end in spans:
        start_byte = byte_position + _utf8_length(text[position:start])
        end_byte = start_byte + _utf8_length(text[start:end])
        converted.append((start_byte, end_byte))
        position, byte_position = end, end_byte
    return converted


def _utf8_length(part: str) -> int:
    # surrogatepass: a lone surrogate (legal in a Python str, never in valid UTF-8) still counts
    # three bytes instead of raising.
    return len(part.encode("utf-8", "surrogatepass"))
