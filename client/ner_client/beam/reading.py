"""The ready pipeline's input, read with Beam's IO (local paths, `gs://`): documents and dead letters.

A JSON lines file (`.jsonl`, `.ndjson`, `.json`) holds one document a line, `{"id", "text", ...}`;
any other file is one document whose id is its path and whose text is the whole file, as
`ner-tag` reads them. A line that is not a JSON object, or a file that is not UTF-8, becomes a dead
letter at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from ner_client.beam.handler import NAMESPACE

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
FORMATS = ("auto", "jsonl", "text")
UNREADABLE = "unreadable"


def is_jsonl(pattern: str, fmt: str) -> bool:
    return fmt == "jsonl" if fmt != "auto" else pattern.lower().endswith(JSONL_SUFFIXES)


def missing(patterns: list[str]) -> str | None:
    """A usage error when a pattern matches no file, else None."""
    for pattern in patterns:
        if not FileSystems.match([pattern])[0].metadata_list:
            return f"no file matches {pattern}"
    return None


class ReadDocuments(beam.PTransform):  # type: ignore[misc]
    """Every document of one pattern; dead letters on the output `unreadable`."""

    def __init__(self, pattern: str, fmt: str = "auto") -> None:
        super().__init__()
        self.pattern, self.fmt = pattern, fmt

    def expand(self, pipeline: beam.Pipeline) -> Any:
        if is_jsonl(self.pattern, self.fmt):
            lines = pipeline | "Lines" >> beam.io.ReadFromTextWithFilename(self.pattern)
            return lines | "Parse" >> beam.FlatMap(_parse_line).with_outputs(UNREADABLE, main="documents")
        files = pipeline | "Match" >> fileio.MatchFiles(self.pattern) | "Open" >> fileio.ReadMatches()
        return files | "Read" >> beam.FlatMap(_read_file).with_outputs(UNREADABLE, main="documents")


def _parse_line(named_line: tuple[str, str]) -> Iterator[Any]:
    name, line = named_line
    if not line.strip():
        return
    try:
        row = json.loads(line)
    except ValueError as error:
        yield TaggedOutput(UNREADABLE, _dead_letter(name, f"{name}: not JSON ({error}): {line[:80]}"))
        return
    if not isinstance(row, dict):
        yield TaggedOutput(UNREADABLE, _dead_letter(name, f"{name}: not a JSON object: {line[:80]}"))
        return
    yield row


def _read_file(file: fileio.ReadableFile) -> Iterator[Any]:
    path = file.metadata.path
    try:
        yield {"id": path, "text": file.read().decode("utf-8")}
    except UnicodeDecodeError as error:
        yield TaggedOutput(UNREADABLE, _dead_letter(path, f"{path}: not UTF-8 ({error})"))


def _dead_letter(id_value: str, message: str) -> dict[str, Any]:
    Metrics.counter(NAMESPACE, "failed_documents").inc()
    return {"id": id_value, "code": "INVALID_ARGUMENT", "message": message}
