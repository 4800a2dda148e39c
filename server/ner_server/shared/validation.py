"""Checks on what callers send, raising InvalidArgument that names the field and the limit."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ner_server.shared.errors import InvalidArgument


def check_text(text: str, field: str, max_chars: int) -> None:
    if not text:
        raise InvalidArgument(field, "must not be empty")
    if len(text) > max_chars:
        raise InvalidArgument(
            field,
            f"is {len(text)} characters long; the limit is {max_chars} characters (Unicode code points)",
        )


def check_batch_size(count: int, field: str, max_documents: int) -> None:
    if count > max_documents:
        raise InvalidArgument(field, f"has {count} documents; the limit is {max_documents}")


def label_filter(
    labels: Sequence[str], known: Collection[str] | None, field: str = "labels"
) -> frozenset[str] | None:
    """The requested labels as a set, None when every label is wanted; `known` None accepts any."""
    if not labels:
        return None
    if known is None:
        return frozenset(labels)
    unknown = sorted(set(labels) - set(known))
    if unknown:
        raise InvalidArgument(
            field, f"unknown label(s) {', '.join(unknown)}; valid labels are {', '.join(sorted(known))}"
        )
    return frozenset(labels)
