"""Bulk jobs through a real HTTP/2 load balancer (nginx, `grpc_pass`) over several instances.

Each instance is a real `ner-server --workers 1` with its own /metrics, which counts the
documents it answered. `ner-tag` reads its input from a stdin held open, so the test decides when
the job may go on (after an instance is added, after one is killed); no step waits on a timer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.balancer import Nginx, nginx_binary
from tests import texts
from tests.conftest import unavailable
from tests.scrape import free_port, scrape, value
from tests.support import ServerProcess, stopped, unread_bytes, wait_until
from tests.tag_support import (
    PipeLines,
    expected_rows,
    feed,
    kill_server_tree,
    read_jsonl,
    start_tag,
    wait_for_lines,
    with_extra_fields,
)

STREAM = "/ner.v1.NerService/StreamExtractEntities"
#: Documents per call before a stream rolls over, in these tests (ner-tag's --stream-documents).
PERIOD = 10
#: Streams per job: as many as the instances behind the balancer, or more.
STREAMS = 3
JOB = 180
REPORT = Path(__file__).resolve().parent.parent / "build" / "balancer.json"


class Instance(ServerProcess):
    """A ner-server with one worker and its metrics on a port of its own."""

    def __init__(self) -> None:
        self.metrics_port = free_port()
        super().__init__(["--workers", "1", "--metrics-port", str(self.metrics_port)])
        self.wait_serving()
        self.upstream = f"127.0.0.1:{self.port}"

    def answered(self) -> int:
        """Documents its worker answered so far."""
        return int(value(scrape(self.metrics_port), "ner_documents_total"))

    def streams_ended(self) -> int:
        samples = scrape(self.metrics_port)
        return int(
            sum(
                v
                for (name, labels), v in samples.items()
                if name == "ner_calls_total" and ("method", STREAM) in labels
            )
        )


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, Any]]:
    """What the tests saw (spread, waits), written to build/balancer.json for the docs and notes."""
    facts: dict[str, Any] = {}
    yield facts
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(facts, indent=2) + "\n")


@pytest.fixture(scope="module")
def instances() -> Iterator[list[Instance]]:
    if nginx_binary() is None:
        unavailable("nginx is not installed (make setup puts it into .tools/bin)")
    started: list[Instance] = []
    try:
        for _ in range(3):
            started.append(Instance())
        yield started
    finally:
        for instance in started:
            instance.stop()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return with_extra_fields(texts.rows(JOB))


@pytest.fixture(scope="module")
def expected(nlp: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return expected_rows(nlp, rows)


def _tag_args(nginx: Nginx, output: Path, *extra: str) -> list[str]:
    return [
        "-",
        "-t",
        nginx.address,
        "-o",
        str(output),
        "--streams",
        str(STREAMS),
        "--window",
        "4",
        "--stream-documents",
        str(PERIOD),
        "--stream-seconds",
        "0",
        *extra,
    ]


def _finish(command: Any, rest: str = "") -> str:
    _, stderr = command.communicate(rest, timeout=120)
    assert command.returncode == 0, stderr
    return str(stderr)


def test_a_bulk_job_is_spread_over_every_instance(
    instances: list[Instance],
    rows: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    tmp_path: Path,
    measured: dict[str, Any],
) -> None:
    before = [instance.answered() for instance in instances]
    nginx = Nginx([instance.upstream for instance in instances])
    output = tmp_path / "tagged.jsonl"
    try:
        command = start_tag(_tag_args(nginx, output), stdin=True)
        stderr = _finish(command, "".join(json.dumps(row) + "\n" for row in rows))
    finally:
        nginx.stop()
    spread = [instance.answered() - was for instance, was in zip(instances, before, strict=True)]
    measured["spread"] = {
        "documents": JOB,
        "per_instance": spread,
        "summary": stderr.strip().splitlines()[-1],
    }
    assert all(answered > 0 for answered in spread), spread
    assert sum(spread) == JOB
    assert read_jsonl(output) == expected


def test_an_instance_added_mid_job_gets_documents_within_a_roll_over_period(
    instances: list[Instance],
    rows: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    tmp_path: Path,
    measured: dict[str, Any],
) -> None:
    first, second = instances[0], instances[1]
    nginx = Nginx([first.upstream, second.upstream])
    output = tmp_path / "tagged.jsonl"
    added = None
    command = start_tag(_tag_args(nginx, output), stdin=True)
    try:
        # The job runs on two instances, then waits for input while the third is started and
        # added to the balancer (an autoscaler's new instance).
        feed(command, rows[:60])
        wait_for_lines(output, 60, command)
        added = Instance()
        ended_before = first.streams_ended() + second.streams_ended()
        reloaded = time.monotonic()
        nginx.set_upstreams([first.upstream, second.upstream, added.upstream])
        # Then the job goes on a roll-over period (PERIOD documents) at a time, until the new
        # instance has answered a document.
        fed, waited = 60, None
        while fed < JOB:
            feed(command, rows[fed : fed + PERIOD])
            fed += PERIOD
            wait_for_lines(output, fed, command)
            if added.answered() > 0:
                waited = {
                    "documents_after_reload": fed - 60,
                    "periods_after_reload": (fed - 60) // PERIOD,
                    "calls_ended_elsewhere_since_reload": first.streams_ended()
                    + second.streams_ended()
                    - ended_before,
                    "seconds_after_reload": round(time.monotonic() - reloaded, 2),
                }
                break
        stderr = _finish(command, "".join(json.dumps(row) + "\n" for row in rows[fed:]))
        answered_by_added = added.answered()
    finally:
        if command.poll() is None:
            command.kill()
            command.communicate()
        nginx.stop()
        if added is not None:
            added.stop()
    measured["added"] = {
        "waited": waited,
        "answered_by_added": answered_by_added,
        "summary": stderr.splitlines()[-1],
    }
    # Each of the STREAMS calls open at the reload ends within PERIOD more documents of its own
    # (at most STREAMS periods in all), the balancer gives one of the next STREAMS calls to the
    # instance with none open, and that call has documents within the next periods.
    assert waited is not None, "the added instance answered nothing before the input ran out"
    assert waited["periods_after_reload"] <= 2 * STREAMS, waited
    assert read_jsonl(output) == expected


def test_an_instance_killed_mid_job_loses_nothing(
    instances: list[Instance],
    rows: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    tmp_path: Path,
    measured: dict[str, Any],
) -> None:
    survivors = instances[:2]
    victim = Instance()
    before = [instance.answered() for instance in survivors]
    nginx = Nginx([*(instance.upstream for instance in survivors), victim.upstream])
    output = tmp_path / "tagged.jsonl"
    command = start_tag(_tag_args(nginx, output), stdin=True)
    try:
        feed(command, rows[:90])
        wait_for_lines(output, 90, command)
        assert victim.answered() > 0
        # Documents are in flight on the victim when it dies: its worker holds them, stopped.
        [worker] = victim.worker_pids()
        with stopped([worker]):
            feed(command, rows[90:120])
            wait_until(lambda: unread_bytes(worker) > 0, what="a batch handed to the stopped worker")
            victim_answered = victim.answered()
            kill_server_tree(victim)
        stderr = _finish(command, "".join(json.dumps(row) + "\n" for row in rows[120:]))
    finally:
        if command.poll() is None:
            command.kill()
            command.communicate()
        nginx.stop()
        victim.stop()
    spread = [instance.answered() - was for instance, was in zip(survivors, before, strict=True)]
    measured["killed"] = {
        "per_instance": [*spread, victim_answered],
        "summary": stderr.splitlines()[-1],
    }
    assert "broke" in stderr
    assert sum(spread) + victim_answered >= JOB
    assert read_jsonl(output) == expected


def test_a_stream_the_balancer_cuts_is_resumed(
    instances: list[Instance], rows: list[dict[str, Any]], expected: list[dict[str, Any]], tmp_path: Path
) -> None:
    only = instances[2]
    # nginx ends a call that goes quiet for 1.5 s: its window full and its worker stopped, the
    # stream sends nothing and gets nothing.
    nginx = Nginx([only.upstream], timeout_seconds=1.5)
    output = tmp_path / "tagged.jsonl"
    try:
        with stopped(only.worker_pids()):
            command = start_tag(_tag_args(nginx, output, "--stream-documents", "0"), stdin=True)
            notices = PipeLines(command.stderr)
            feed(command, rows[:40])
            try:
                cut = notices.wait_for("broke")
            except TimeoutError:
                command.kill()
                raise
        assert command.stdin is not None
        command.stdin.write("".join(json.dumps(row) + "\n" for row in rows[40:]))
        command.stdin.close()
        code = command.wait(120)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
        nginx.stop()
        stderr = notices.text()
        for pipe in (command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()
    assert code == 0, stderr
    resend = re.search(r"reconnecting, (\d+) documents to resend", cut)
    assert resend and int(resend[1]) > 0, cut
    assert read_jsonl(output) == expected
