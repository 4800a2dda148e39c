"""`ner-tag`, the bulk-tagging command, run for real against real server processes.

A run that must be cut part way (a server killed, a deadline, the command killed) is kept from
ending first by deterministic means: its input comes through a stdin held open, or the server's
workers are stopped, never by hoping the machine is slow enough.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from pathlib import Path
from typing import Any

import pytest

from tests import texts
from tests.scrape import free_port, scrape, value
from tests.support import ServerProcess, stopped, unread_bytes, wait_until
from tests.tag_support import (
    PipeLines,
    count_lines,
    expected_rows,
    feed,
    jsonl,
    kill_server_tree,
    read_jsonl,
    run_tag,
    start_tag,
    wait_for_lines,
    with_extra_fields,
    write_jsonl,
)

#: Documents of the full run: the project paragraphs over and over, each under an id of its own.
ROWS = 20 * len(texts.PARAGRAPHS)
#: Documents used where the whole input is not needed (the restart and resume runs).
SLICE = 400
STREAM_METHOD = "/ner.v1.NerService/StreamExtractEntities"


@pytest.fixture(scope="module")
def corpus_rows() -> list[dict[str, Any]]:
    return with_extra_fields(texts.rows(ROWS))


@pytest.fixture(scope="module")
def corpus_file(corpus_rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("tag") / "paragraphs.jsonl", corpus_rows)


@pytest.fixture(scope="module")
def slice_file(corpus_rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("tag") / "slice.jsonl", corpus_rows[:SLICE])


@pytest.fixture(scope="module")
def expected(nlp: Any, corpus_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return expected_rows(nlp, corpus_rows)


def test_round_trip_equals_in_process_spacy_in_input_order_with_fields_passed_through(
    server: ServerProcess, corpus_file: Path, expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    output = tmp_path / "tagged.jsonl"
    done = run_tag([str(corpus_file), "--target", server.address, "--output", str(output)])
    assert done.returncode == 0, done.stderr
    rows = read_jsonl(output)
    assert len(rows) == len(expected) == ROWS
    assert [row["id"] for row in rows] == [row["id"] for row in expected]
    assert rows == expected
    assert all(row["source"] == "tests" and "text" not in row for row in rows)
    assert f"{ROWS} documents" in done.stderr and "0 errors" in done.stderr
    assert not (tmp_path / "tagged.jsonl.errors.jsonl").exists()


def test_server_killed_and_restarted_on_same_port_mid_run_tags_every_document_exactly_once(
    corpus_rows: list[dict[str, Any]], expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    first = ServerProcess(["--workers", "1"])
    first.wait_serving()
    port = first.port
    output = tmp_path / "tagged.jsonl"
    command = start_tag(
        ["-", "--target", first.address, "--output", str(output), "--window", "8"], stdin=True
    )
    second = None
    try:
        # The second half of the input is written after the restart, so the run is still going
        # when the server dies.
        feed(command, corpus_rows[: SLICE // 2])
        wait_for_lines(output, 60, command)
        kill_server_tree(first)
        second = ServerProcess(["--port", str(port), "--workers", "1"])
        assert second.port == port
        _, stderr = command.communicate(jsonl(corpus_rows[SLICE // 2 : SLICE]), timeout=120)
    finally:
        if command.poll() is None:
            command.kill()
        if second is not None:
            second.stop()
    assert command.returncode == 0, stderr
    assert "broke" in stderr and "reconnects" in stderr
    assert read_jsonl(output) == expected[:SLICE]


@pytest.mark.parametrize(
    "streams",
    [["--streams", "1"], ["--streams", "3", "--stream-documents", "7"]],
    ids=["one-stream", "rolling-streams"],
)
def test_resume_after_the_command_is_killed_mid_run_tags_every_document_exactly_once(
    server: ServerProcess,
    slice_file: Path,
    corpus_rows: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    tmp_path: Path,
    streams: list[str],
) -> None:
    output = tmp_path / "tagged.jsonl"
    options = [
        "--target",
        server.address,
        "--output",
        str(output),
        "--window",
        "4",
        *streams,
    ]
    # The first run reads a part of the input from a stdin left open, so it is mid-run when killed.
    command = start_tag(["-", *options], stdin=True)
    try:
        feed(command, corpus_rows[: SLICE // 2])
        wait_for_lines(output, 100, command)
    finally:
        command.send_signal(signal.SIGKILL)
        command.communicate(timeout=30)
    written = count_lines(output)
    assert 100 <= written <= SLICE // 2
    with output.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "p01-torn", "entit')  # a write cut short by the kill

    resumed = run_tag([str(slice_file), *options, "--resume"])

    assert resumed.returncode == 0, resumed.stderr
    assert f"{written} skipped" in resumed.stderr
    assert f"{SLICE - written} documents" in resumed.stderr
    assert read_jsonl(output) == expected[:SLICE]


def test_streams_that_roll_over_every_few_documents_tag_every_document_once_in_order(
    server: ServerProcess, slice_file: Path, expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    output = tmp_path / "tagged.jsonl"
    flags = ["--streams", "3", "--window", "4", "--stream-documents", "9"]
    done = run_tag([str(slice_file), "-t", server.address, "-o", str(output), *flags])
    assert done.returncode == 0, done.stderr
    rolled = re.search(r"(\d+) roll-overs", done.stderr)
    # Every call but the last of each stream ends after 9 documents.
    assert rolled and int(rolled[1]) >= SLICE // 9 - 3, done.stderr
    assert "reconnects" not in done.stderr
    assert read_jsonl(output) == expected[:SLICE]


def test_streams_roll_over_by_time_while_the_input_pauses_and_lose_nothing(
    corpus_rows: list[dict[str, Any]], expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    metrics_port = free_port()
    server = ServerProcess(["--workers", "1", "--metrics-port", str(metrics_port)])
    output = tmp_path / "tagged.jsonl"
    command = None
    try:
        server.wait_serving()
        args = ["-", "-t", server.address, "-o", str(output), "--streams", "2", "--stream-seconds", "0.2"]
        command = start_tag(args, stdin=True)
        feed(command, corpus_rows[:50])
        wait_for_lines(output, 50, command)
        # No input now: each stream's call ends when its time is up, and a new one takes its place.
        wait_until(lambda: _streams_ended(metrics_port) >= 6, what="six calls rolled over")
        _, stderr = command.communicate(jsonl(corpus_rows[50:100]), timeout=120)
    finally:
        if command is not None and command.poll() is None:
            command.kill()
            command.communicate()
        server.stop()
    assert command.returncode == 0, stderr
    rolled = re.search(r"(\d+) roll-overs", stderr)
    assert rolled and int(rolled[1]) >= 6, stderr
    assert "reconnects" not in stderr
    assert read_jsonl(output) == expected[:100]


def _streams_ended(metrics_port: int) -> float:
    return value(scrape(metrics_port), "ner_calls_total", method=STREAM_METHOD, code="OK")


def test_shards_of_one_input_add_up_to_the_whole_output_and_resume_on_their_own(
    server: ServerProcess, slice_file: Path, expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    outputs = [tmp_path / f"part{number}.jsonl" for number in (1, 2, 3)]
    # Part 2 was cut short by a kill: a few lines written, the last one torn.
    part2_start = SLICE // 3
    outputs[1].write_text(jsonl(expected[part2_start : part2_start + 5]) + '{"id": "p0', encoding="utf-8")
    runs = [
        run_tag(
            [str(slice_file), "-t", server.address, "-o", str(output), "--shard", f"{number}/3", "--resume"]
        )
        for number, output in enumerate(outputs, start=1)
    ]
    assert [run.returncode for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    assert "5 skipped" in runs[1].stderr
    assert [row for output in outputs for row in read_jsonl(output)] == expected[:SLICE]
    assert [len(read_jsonl(output)) for output in outputs] == [133, 133, 134]
    piped = run_tag(["-", "-t", server.address, "-o", "-", "--shard", "1/2"], stdin="")
    assert piped.returncode == 2 and "stdin" in piped.stderr


def test_document_over_the_server_limit_goes_to_the_errors_file_and_the_rest_are_tagged_exit_1(
    server: ServerProcess, corpus_rows: list[dict[str, Any]], expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    too_long = {"id": "too-long", "text": "Ada Lovelace lived in London. " * 3400}  # 102,000 > 100,000 chars
    rows = [*corpus_rows[:20], too_long, *corpus_rows[20:40]]
    output, errors = tmp_path / "tagged.jsonl", tmp_path / "errors.jsonl"
    done = run_tag(
        [
            str(write_jsonl(tmp_path / "in.jsonl", rows)),
            "-t",
            server.address,
            "-o",
            str(output),
            "--errors",
            str(errors),
        ]
    )
    assert done.returncode == 1, done.stderr
    assert read_jsonl(output) == expected[:40]
    [error] = read_jsonl(errors)
    assert error["id"] == "too-long"
    assert error["code"] == "INVALID_ARGUMENT"
    assert "100000" in error["message"]
    assert "1 errors" in done.stderr


def test_usage_errors_exit_2(server: ServerProcess, corpus_file: Path, tmp_path: Path) -> None:
    output = str(tmp_path / "out.jsonl")
    assert run_tag([str(corpus_file), "--output", output]).returncode == 2  # no --target
    assert run_tag([str(tmp_path / "missing.jsonl"), "-t", server.address, "-o", output]).returncode == 2
    assert run_tag([str(corpus_file), "-t", server.address, "-o", "-", "--resume"]).returncode == 2
    unknown_label = run_tag(
        [str(corpus_file), "-t", server.address, "-o", output, "--labels", "PERSON,PLANET"]
    )
    assert unknown_label.returncode == 2
    assert "PLANET" in unknown_label.stderr


def test_unreachable_server_exits_2_after_the_retry_budget(corpus_file: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        closed_port = probe.getsockname()[1]
    done = run_tag(
        [
            str(corpus_file),
            "-t",
            f"localhost:{closed_port}",
            "-o",
            str(tmp_path / "o.jsonl"),
            "--retry-timeout",
            "1",
        ],
        timeout=30,
    )
    assert done.returncode == 2
    assert "cannot reach" in done.stderr


def test_text_files_of_a_directory_read_from_stdin_list_and_labels_filter(
    server: ServerProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "b.txt").write_text("Grace Hopper worked in Arlington, Virginia.", encoding="utf-8")
    (folder / "a.txt").write_text("Ada Lovelace was born in London in 1815.", encoding="utf-8")
    done = run_tag([str(folder), "-t", server.address, "-o", "-", "--labels", "GPE"])
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["id"] for row in rows] == [str(folder / "a.txt"), str(folder / "b.txt")]
    assert [[entity["text"] for entity in row["entities"]] for row in rows] == [
        ["London"],
        ["Arlington", "Virginia"],
    ]

    piped = run_tag(
        ["-", "-t", server.address, "-o", "-"], stdin='{"id": 7, "text": "Paris is in France."}\n'
    )
    assert piped.returncode == 0, piped.stderr
    [row] = [json.loads(line) for line in piped.stdout.splitlines()]
    assert row["id"] == 7
    assert {entity["text"] for entity in row["entities"]} == {"Paris", "France"}


def test_stream_deadline_cuts_are_reconnected_and_every_document_is_tagged_once(
    server: ServerProcess, slice_file: Path, expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    output = tmp_path / "tagged.jsonl"
    args = [
        str(slice_file),
        "-t",
        server.address,
        "-o",
        str(output),
        "--stream-timeout",
        "1.5",
        "--window",
        "8",
    ]
    with stopped(server.worker_pids()):
        # Nothing is answered while the workers are stopped, so the first call of each stream is
        # certain to reach its deadline with documents in flight; they run again once it is seen.
        command = start_tag(args)
        notices = PipeLines(command.stderr)
        try:
            cut = notices.wait_for("DEADLINE_EXCEEDED")
        except TimeoutError:
            command.kill()
            raise
    try:
        code = command.wait(120)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        stderr = notices.text()
        for pipe in (command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()
    assert code == 0, stderr
    resend = re.search(r"reconnecting, (\d+) documents to resend", cut)
    assert resend and int(resend[1]) > 0, cut
    assert read_jsonl(output) == expected[:SLICE]


def test_stdin_documents_are_tagged_and_written_as_they_arrive(server: ServerProcess, tmp_path: Path) -> None:
    output = tmp_path / "tagged.jsonl"
    command = start_tag(["-", "-t", server.address, "-o", str(output)], stdin=True)
    assert command.stdin is not None
    try:
        for number in range(3):
            command.stdin.write(
                json.dumps({"id": f"d{number}", "text": "Ada Lovelace lived in London."}) + "\n"
            )
        command.stdin.flush()
        assert wait_for_lines(output, 3, command, timeout=30) == 3  # while stdin is still open
        command.stdin.write(json.dumps({"id": "d3", "text": "Kyoto is in Japan."}) + "\n")
        command.stdin.close()
        assert command.wait(30) == 0
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        for pipe in (command.stdin, command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()
    assert [row["id"] for row in read_jsonl(output)] == ["d0", "d1", "d2", "d3"]


def test_documents_of_a_killed_worker_are_sent_again_and_tagged_once(
    slice_file: Path, expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    server = ServerProcess(["--workers", "1"])
    try:
        server.wait_serving()
        output = tmp_path / "tagged.jsonl"
        [worker] = server.worker_pids()
        command = None
        with stopped([worker]):
            command = start_tag([str(slice_file), "-t", server.address, "-o", str(output), "--streams", "1"])
            # The worker dies holding a batch of the stream's documents, handed to it while stopped.
            wait_until(lambda: unread_bytes(worker) > 0, what="a batch handed to the stopped worker")
            os.kill(worker, signal.SIGKILL)
        _, stderr = command.communicate(timeout=120)
    finally:
        if command is not None and command.poll() is None:
            command.kill()
            command.communicate()
        server.stop()
    assert command.returncode == 0, stderr
    assert " retried" in stderr  # the killed worker's documents were answered UNAVAILABLE and resent
    assert read_jsonl(output) == expected[:SLICE]
