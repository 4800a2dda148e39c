"""Reading the documents to tag, lazily: JSONL files, plain text files, directories, stdin.

A JSONL line is `{"id": ..., "text": ...}`; every other field is passed through to the output.
A plain text file is one document whose id is its path. A directory means every regular,
non-hidden file under it, in sorted order. `-` is stdin (JSONL unless `--format text`, which
makes the whole of stdin one document with id `-`). Nothing is read ahead of what is asked for.

A line that cannot be used (bad JSON, no text) becomes a document carrying an error, so it is
reported in the errors file and the run goes on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("auto", "jsonl", "text")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(slots=True)
class InputDocument:
    """One document as read: the id sent to the server, the id as written, and passed-through fields."""

    id: str
    text: str
    #: The id exactly as it appeared in the input (a JSONL id may be a number); written back as is.
    id_value: Any = None
    #: Input fields other than `id` and `text`, written after `entities` in the output.
    extra: dict[str, Any] = field(default_factory=dict)
    #: Set when the input itself is unusable; the document is reported, never sent.
    error: str | None = None


def read_documents(
    inputs: Iterable[str], fmt: str = "auto", keep_text: bool = False
) -> Iterator[InputDocument]:
    """Every document of every input, in order."""
    for name in inputs:
        if name == "-":
            yield from _read_stdin(fmt, keep_text)
            continue
        path = Path(name)
        if path.is_dir():
            for file in _files_under(path):
                yield from _read_file(file, fmt, keep_text)
        else:
            yield from _read_file(path, fmt, keep_text)


def check_inputs(inputs: Iterable[str]) -> str | None:
    """A usage error message if an input does not exist, else None."""
    for name in inputs:
        if name != "-" and not Path(name).exists():
            return f"input not found: {name}"
    return None


def count_documents(inputs: Iterable[str], fmt: str = "auto") -> int | None:
    """How many documents the inputs hold (for the progress bar's ETA); None when unknowable (stdin)."""
    total = 0
    for name in inputs:
        if name == "-":
            return None
        path = Path(name)
        for file in _files_under(path) if path.is_dir() else [path]:
            total += _count_lines(file) if _is_jsonl(file, fmt) else 1
    return total


def _read_stdin(fmt: str, keep_text: bool) -> Iterator[InputDocument]:
    # A reader of its own on stdin's descriptor, not sys.stdin: the thread blocked in it may be
    # left behind when a run is cancelled, and the interpreter aborts at exit if that thread
    # holds sys.stdin's lock.
    stream = open(sys.stdin.fileno(), "rb", closefd=False)
    if fmt == "text":
        yield _text_document("-", stream.read())
    else:
        yield from _jsonl_documents("-", stream, keep_text)


def _read_file(path: Path, fmt: str, keep_text: bool) -> Iterator[InputDocument]:
    if _is_jsonl(path, fmt):
        with path.open("rb") as handle:
            yield from _jsonl_documents(str(path), handle, keep_text)
    else:
        yield _text_document(str(path), path.read_bytes())


def _jsonl_documents(source: str, lines: Iterable[bytes], keep_text: bool) -> Iterator[InputDocument]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        yield _jsonl_document(source, number, raw, keep_text)


def _jsonl_document(source: str, number: int, raw: bytes, keep_text: bool) -> InputDocument:
    where = f"{source}:{number}"
    try:
        row = json.loads(raw)
    except ValueError as error:
        return InputDocument(id=where, text="", id_value=where, error=f"{where}: not JSON ({error})")
    if not isinstance(row, dict):
        return InputDocument(id=where, text="", id_value=where, error=f"{where}: not a JSON object")
    id_value = row.pop("id", where)
    text = row.get("text") if keep_text else row.pop("text", None)
    document_id = id_value if isinstance(id_value, str) else json.dumps(id_value)
    if not isinstance(text, str):
        return InputDocument(document_id, "", id_value, row, f"{where}: no string field 'text'")
    return InputDocument(document_id, text, id_value, row)


def _text_document(name: str, data: bytes) -> InputDocument:
    try:
        return InputDocument(id=name, text=data.decode("utf-8"), id_value=name)
    except UnicodeDecodeError as error:
        return InputDocument(id=name, text="", id_value=name, error=f"{name}: not UTF-8 ({error})")


def _is_jsonl(path: Path, fmt: str) -> bool:
    if fmt != "auto":
        return fmt == "jsonl"
    return path.suffix.lower() in JSONL_SUFFIXES


def _files_under(directory: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root, name) for name in sorted(files) if not name.startswith("."))
    return found


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
