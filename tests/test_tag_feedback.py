"""What `ner-tag` tells its user at once: a target it cannot reach (and why) at the first failed
attempt, the retry budget left on the progress line, `--resume` only where there is output to
resume, and a usage error, never a traceback, for any bad flag.

Nothing here races a timer: "at once" is checked by order of events, reading stderr while the
command is still retrying within a budget far longer than any test, then stopping it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from ner_client.tag.cli import main

from tests.support import ServerProcess, wait_until
from tests.tag_support import NER_TAG, PipeLines, start_tag, wait_for_lines

#: Far longer than any test runs: a command still running is still inside its budget.
LONG_BUDGET = "600"


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def one_document(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "Ada Lovelace lived in London."}) + "\n", encoding="utf-8")
    return path


def _stop(command: subprocess.Popen[str], notices: PipeLines) -> None:
    """Kill the command if it still runs; close its pipes once the reader has read to their end."""
    if command.poll() is None:
        command.kill()
    command.wait()
    notices.text()
    for pipe in (command.stdin, command.stdout, command.stderr):
        if pipe is not None:
            pipe.close()


def test_a_refused_target_is_told_at_the_first_attempt_while_the_budget_lasts(
    one_document: Path, tmp_path: Path
) -> None:
    target = f"localhost:{closed_port()}"
    output = tmp_path / "out.jsonl"
    command = start_tag([str(one_document), "-t", target, "-o", str(output), "--retry-timeout", LONG_BUDGET])
    notices = PipeLines(command.stderr)
    try:
        line = notices.wait_for("cannot reach")
        assert command.poll() is None, "told only once the budget was spent"
        command.send_signal(signal.SIGTERM)
        assert command.wait(30) == 130
        stderr = notices.text()
    finally:
        _stop(command, notices)
    # The likely cause first (ner_client.diagnosis), then gRPC's own words.
    assert line.startswith(f"ner-tag: cannot reach {target}: nothing listens at that address and port"), line
    assert "Connection refused" in line
    assert f"retrying for up to {LONG_BUDGET} s" in line
    # Interrupted before anything was written: nothing to resume, so --resume is not offered.
    assert "--resume" not in stderr
    assert "interrupted before any document was written" in stderr


def test_the_notice_comes_before_giving_up_at_the_end_of_the_budget(
    one_document: Path, tmp_path: Path
) -> None:
    target = f"localhost:{closed_port()}"
    output = str(tmp_path / "o.jsonl")
    command = start_tag([str(one_document), "-t", target, "-o", output, "--retry-timeout", "1"])
    notices = PipeLines(command.stderr)
    try:
        assert command.wait(60) == 2
        lines = notices.text().splitlines()
    finally:
        _stop(command, notices)
    told = next(i for i, line in enumerate(lines) if "retrying for up to 1 s" in line)
    gave_up = next(i for i, line in enumerate(lines) if "gave up after 1 s without progress" in line)
    assert told < gave_up
    assert f"cannot reach {target}" in lines[gave_up] and "Connection refused" in lines[gave_up]


def test_an_unknown_host_is_named_as_such(one_document: Path, tmp_path: Path) -> None:
    target = "no-such-host.invalid:50051"
    output = str(tmp_path / "o.jsonl")
    command = start_tag([str(one_document), "-t", target, "-o", output, "--retry-timeout", LONG_BUDGET])
    notices = PipeLines(command.stderr)
    try:
        line = notices.wait_for("cannot reach")
        assert command.poll() is None
    finally:
        _stop(command, notices)
    assert line.startswith(f"ner-tag: cannot reach {target}: the host name does not resolve"), line


class _RawStderr:
    """Every byte of a command's stderr as it comes: the progress bar redraws with \\r, not lines."""

    def __init__(self, command: subprocess.Popen[bytes]) -> None:
        assert command.stderr is not None
        self._fd = command.stderr.fileno()
        self.text = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while chunk := os.read(self._fd, 65536):
            self.text += chunk.decode("utf-8", "replace")

    def join(self) -> None:
        """Wait for the end of the pipe (the command has ended), before it may be closed."""
        self._reader.join(30)


def test_the_progress_line_shows_the_reason_and_the_budget_left_while_retrying(
    one_document: Path, tmp_path: Path
) -> None:
    target = f"localhost:{closed_port()}"
    args = [str(one_document), "-t", target, "-o", str(tmp_path / "o.jsonl"), "--progress"]
    command = subprocess.Popen(
        [NER_TAG, *args, "--retry-timeout", LONG_BUDGET], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    stderr = _RawStderr(command)
    status = re.compile(
        rf"cannot reach {re.escape(target)}: nothing listens at that address and port; retrying, (\d+) s left"
    )
    try:
        # Two redraws of the bar, at two attempts: it shows the budget left while it keeps trying.
        wait_until(lambda: len(status.findall(stderr.text)) >= 2, what="the retry status on the bar")
        assert command.poll() is None
    finally:
        command.kill()
        command.wait()
        stderr.join()
        assert command.stderr is not None
        command.stderr.close()
    left = [int(seconds) for seconds in status.findall(stderr.text)]
    assert all(0 < seconds <= int(LONG_BUDGET) for seconds in left)
    assert left == sorted(left, reverse=True)


def test_an_interrupted_run_with_output_offers_resume_and_ends_though_stdin_is_open(
    server: ServerProcess, tmp_path: Path
) -> None:
    output = tmp_path / "out.jsonl"
    command = start_tag(["-", "-t", server.address, "-o", str(output)], stdin=True)
    notices = PipeLines(command.stderr)
    try:
        assert command.stdin is not None
        command.stdin.write(json.dumps({"id": "a", "text": "Kyoto is in Japan."}) + "\n")
        command.stdin.flush()
        wait_for_lines(output, 1, command)  # stdin still open: the run cannot have ended
        command.send_signal(signal.SIGTERM)  # stdin stays open: the run must end all the same
        assert command.wait(30) == 130
        stderr = notices.text()
    finally:
        _stop(command, notices)
    assert "interrupted; run again with --resume to continue" in stderr


BAD_FLAGS = [
    (["--streams", "two"], "--streams: a whole number of at least 1, not 'two'"),
    (["--streams", "0"], "--streams: a whole number of at least 1, not 0"),
    (["--window", "-3"], "--window: a whole number of at least 1, not -3"),
    (["--buffer", "1.5"], "--buffer: a whole number of at least 0, not '1.5'"),
    (["--stream-documents", "x"], "--stream-documents: a whole number of at least 0"),
    (["--retry-timeout", "soon"], "--retry-timeout: seconds, 0 or more (inf is never), not 'soon'"),
    (["--retry-timeout", "nan"], "--retry-timeout: seconds"),
    (["--retry-timeout", "-1"], "--retry-timeout: seconds"),
    (["--stream-timeout", "0"], "--stream-timeout: seconds, more than 0, not '0'"),
    (["--stream-timeout", "inf"], "--stream-timeout: seconds, more than 0"),
    (["--stream-seconds", "-5"], "--stream-seconds: seconds, 0 or more"),
    (["--shard", "3/2"], "--shard: K/N with 1 <= K <= N"),
    (["--shard", "half"], "--shard: K/N, such as 1/4"),
    (["--format", "xml"], "--format: invalid choice"),
    (["--ca-file", "{tmp}/missing.pem"], "cannot read"),
    (["--cert-file", "{input}"], "a client certificate needs its key"),
]


@pytest.mark.parametrize(("flags", "message"), BAD_FLAGS, ids=[" ".join(flags) for flags, _ in BAD_FLAGS])
def test_a_bad_flag_is_a_usage_error_naming_it(
    flags: list[str], message: str, one_document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [flag.format(tmp=tmp_path, input=one_document) for flag in flags]
    argv = [str(one_document), "-t", f"localhost:{closed_port()}", "-o", str(tmp_path / "o.jsonl"), *flags]
    with pytest.raises(SystemExit) as ended:
        main([*argv, "--retry-timeout", "0"] if "--retry-timeout" not in flags else argv)
    assert ended.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (["{tmp}/missing.jsonl", "-o", "{tmp}/o.jsonl"], "input not found"),
        (["{input}", "-o", "{tmp}/no/such/folder/o.jsonl"], "output's folder does not exist"),
        (["{input}", "-o", "{tmp}"], "output is a directory"),
        (["{input}", "-o", "{tmp}", "--resume"], "output is a directory"),
        (["{input}", "-o", "{tmp}/o.jsonl", "--errors", "{tmp}/no/e.jsonl"], "errors file's folder"),
        (["{input}", "-o", "-", "--resume"], "--resume needs an output file"),
    ],
)
def test_a_bad_path_is_a_usage_error_before_anything_runs(
    where: list[str], message: str, one_document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [part.format(tmp=tmp_path, input=one_document) for part in where]
    with pytest.raises(SystemExit) as ended:
        main([*paths, "-t", f"localhost:{closed_port()}", "--retry-timeout", "0"])
    assert ended.value.code == 2
    assert message in capsys.readouterr().err


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--help"])
    assert ended.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for default in (
        "give up after this many seconds without progress; inf never (default: 120)",
        "--stream-timeout STREAM_TIMEOUT deadline of one stream, in seconds (default: 3600)",
        "(default: 30)",  # --stream-seconds
        "--streams STREAMS parallel streams; at least one per instance to use (default: 4)",
        "--window WINDOW documents in flight per stream (default: 64)",
        "(default: auto)",
    ):
        assert default in shown


def test_a_server_that_comes_up_while_ner_tag_retries_is_reached_and_told(
    one_document: Path, tmp_path: Path
) -> None:
    port = closed_port()
    output = tmp_path / "out.jsonl"
    command = start_tag([str(one_document), "-t", f"localhost:{port}", "-o", str(output)])
    notices = PipeLines(command.stderr)
    server = None
    try:
        notices.wait_for("cannot reach")
        server = ServerProcess(["--workers", "1", "--port", str(port)])  # the last --port wins
        assert command.wait(120) == 0
        stderr = notices.text()
    finally:
        _stop(command, notices)
        if server is not None:
            server.stop()
    lines = stderr.splitlines()
    told = next(i for i, line in enumerate(lines) if "cannot reach" in line)
    reached = next(
        i for i, line in enumerate(lines) if line.startswith(f"ner-tag: reached localhost:{port} after")
    )
    assert told < reached
    assert [row["id"] for row in map(json.loads, output.read_text(encoding="utf-8").splitlines())] == ["a"]
