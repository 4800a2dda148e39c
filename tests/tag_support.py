"""Helpers for the `ner-tag` tests: the real command as a subprocess, inputs, expected output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from tests.support import ServerProcess, child_pids, wait_until

NER_TAG = str(Path(sys.executable).parent / "ner-tag")


def run_tag(
    args: Sequence[str], timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NER_TAG, *args], capture_output=True, text=True, timeout=timeout, input=stdin, check=False
    )


def start_tag(args: Sequence[str], stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [NER_TAG, *args],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.write_text(jsonl(rows), encoding="utf-8")
    return path


def feed(command: subprocess.Popen[str], rows: Sequence[dict[str, Any]]) -> None:
    """Write rows to the command's stdin and leave it open: the run cannot end until it is closed."""
    assert command.stdin is not None
    command.stdin.write(jsonl(rows))
    command.stdin.flush()


class PipeLines:
    """The lines of a command's pipe (its notices on stderr), read by a thread as they come."""

    def __init__(self, pipe: IO[str] | None) -> None:
        assert pipe is not None
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._reader.start()

    def _read(self, pipe: IO[str]) -> None:
        for line in pipe:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        """The first line holding `needle`, once it has been written."""
        wait_until(
            lambda: any(needle in line for line in list(self.lines)), timeout, f"a line with {needle!r}"
        )
        return next(line for line in self.lines if needle in line)

    def text(self) -> str:
        """Everything, once the pipe has closed (the command has ended)."""
        self._reader.join(30)
        return "\n".join(self.lines)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def with_extra_fields(documents: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
    """The rows with fields the output must pass through."""
    return [{**document, "source": "tests", "position": index} for index, document in enumerate(documents)]


def expected_rows(nlp: Any, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `ner-tag` must write for `rows`: in-process spaCy's entities, other fields kept, text dropped."""
    from ner_server.worker.recognizer import Recognizer

    recognizer = Recognizer(nlp, keep_words=0)

    expected = []
    for start in range(0, len(rows), 64):
        chunk = rows[start : start + 64]
        for row, records in zip(chunk, recognizer.extract([row["text"] for row in chunk]), strict=True):
            entities = [record.as_dict() for record in records]
            expected.append(
                {
                    "id": row["id"],
                    "entities": entities,
                    **{k: v for k, v in row.items() if k not in ("id", "text")},
                }
            )
    return expected


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_for_lines(path: Path, at_least: int, process: subprocess.Popen[str], timeout: float = 60) -> int:
    """Wait until `path` has `at_least` complete lines; fails if the command ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = count_lines(path)
        if lines >= at_least:
            return lines
        if process.poll() is not None:
            raise AssertionError(f"ner-tag ended early ({process.returncode}): {process.communicate()[1]}")
        time.sleep(0.05)
    raise TimeoutError(f"{path} never reached {at_least} lines")


def kill_server_tree(server: ServerProcess) -> None:
    """SIGKILL the server and its fork server and workers, as when an instance disappears."""
    tree = [server.pid, *server.worker_pids()]
    tree += [pid for pid in child_pids(server.pid) if pid not in tree]
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.stop()
