"""Where results go: the output writer, the errors file, and the resume scan.

Results come in input order (the engine orders them); `Writer` writes each as it comes and
flushes now and then.

`check_outputs` refuses, before anything runs, files that could not be written;
`something_written` says whether an interrupted run has anything to resume.

For `--resume`, `scan_written` reads the ids already in the output file and cuts off a torn
last line (a run killed mid-write), so appending continues from a clean line boundary.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: How often buffered output is flushed to the file (a killed run loses at most this much work).
FLUSH_SECONDS = 0.5


@dataclass(slots=True)
class Outcome:
    """A finished document: its output line, or the error that goes to the errors file."""

    line: str | None = None
    entities: int = 0
    error: dict[str, Any] | None = None


def check_outputs(output: str, errors: str, resume: bool) -> str | None:
    """A usage error message if the output or errors file could not be written, else None."""
    for path, what in ((output, "output"), (errors, "errors file")):
        if path == "-":
            continue
        file = Path(path)
        folder = file.parent
        if file.is_dir():
            return f"{what} is a directory: {path}"
        if not folder.is_dir():
            return f"{what}'s folder does not exist: {folder}"
        if not os.access(file if file.exists() else folder, os.W_OK):
            return f"cannot write the {what}: {path}"
    if resume and Path(output).exists() and not os.access(output, os.R_OK):
        return f"--resume cannot read the output: {output}"
    return None


def something_written(output: str) -> bool:
    """Whether the output file holds anything that `--resume` could continue from."""
    if output == "-":
        return False
    try:
        return Path(output).stat().st_size > 0
    except OSError:
        return False


def id_key(id_value: Any) -> str:
    """The key by which resume recognises a document: its id as JSON."""
    return json.dumps(id_value, ensure_ascii=False)


def scan_written(path: Path) -> set[str]:
    """The ids of the complete lines of an earlier run's output; truncates a torn last line."""
    if not path.exists():
        return set()
    with path.open("r+b") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        end = _last_newline_end(handle, size)
        if end < size:
            handle.truncate(end)
    done: set[str] = set()
    with path.open("rb") as handle:
        for raw in handle:
            try:
                done.add(id_key(json.loads(raw)["id"]))
            except (ValueError, KeyError, TypeError):
                continue
    return done


def _last_newline_end(handle: IO[bytes], size: int) -> int:
    """The offset just past the file's last newline (0 when there is none)."""
    position = size
    while position > 0:
        start = max(0, position - 65536)
        handle.seek(start)
        chunk = handle.read(position - start)
        index = chunk.rfind(b"\n")
        if index >= 0:
            return start + index + 1
        position = start
    return 0


class Writer:
    """Writes outcomes as they come (in input order): output lines to `output`, errors to the errors file."""

    def __init__(self, output: str, errors: str | None, append: bool) -> None:
        self._output: IO[str] = (
            sys.stdout if output == "-" else open(output, "a" if append else "w", encoding="utf-8")
        )
        self._errors_path = errors
        self._errors: IO[str] | None = None
        if errors and errors != "-" and os.path.exists(errors):
            os.unlink(errors)  # stale errors of an earlier run: this run retries those documents
        self._last_flush = time.monotonic()
        self.written = 0
        self.entities = 0
        self.failed = 0

    def put(self, outcome: Outcome) -> None:
        self._write(outcome)
        if time.monotonic() - self._last_flush > FLUSH_SECONDS:
            self.flush()

    def _write(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.failed += 1
            self._error_stream().write(json.dumps(outcome.error, ensure_ascii=False) + "\n")
        elif outcome.line is not None:
            self.written += 1
            self.entities += outcome.entities
            self._output.write(outcome.line)

    def _error_stream(self) -> IO[str]:
        if self._errors is None:
            if self._errors_path in (None, "-"):
                self._errors = sys.stderr
            else:
                self._errors = open(self._errors_path, "w", encoding="utf-8")
        return self._errors

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        self._output.flush()
        if self._errors is not None:
            self._errors.flush()

    def close(self) -> None:
        self.flush()
        if self._output is not sys.stdout:
            self._output.close()
        if self._errors is not None and self._errors is not sys.stderr:
            self._errors.close()
