"""A worker killed mid-load: its calls fail UNAVAILABLE (never hang), it is replaced, health
recovers, and the client's retry policy hides the failure."""

from __future__ import annotations

import os
import signal
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ner_client import NerClient
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.support import SERVICE, ServerProcess

SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def two_worker_server():
    server = ServerProcess(["--workers", "2"])
    server.wait_serving()
    yield server
    assert server.stop() == 0


def load(
    address: str, texts: list[str], stop: threading.Event, codes: list[grpc.StatusCode], retrying: bool
) -> None:
    if retrying:
        with NerClient(address, timeout=60) as client:
            while not stop.is_set():
                for text in texts:
                    try:
                        client.extract(text)
                        codes.append(grpc.StatusCode.OK)
                    except grpc.RpcError as error:
                        codes.append(error.code())
        return
    with grpc.insecure_channel(address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        while not stop.is_set():
            for text in texts:
                try:
                    stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=60)
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as error:
                    codes.append(error.code())


def run_load_and_kill_a_worker(
    server: ServerProcess, texts: list[str], retrying: bool
) -> tuple[list, list[int]]:  # type: ignore[type-arg]
    stop = threading.Event()
    codes: list[grpc.StatusCode] = []
    callers = [
        threading.Thread(target=load, args=(server.address, texts[i::8], stop, codes, retrying))
        for i in range(8)
    ]
    for caller in callers:
        caller.start()
    time.sleep(1.5)
    before = server.worker_pids()
    os.kill(before[0], signal.SIGKILL)
    with grpc.insecure_channel(server.address) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE), timeout=60
        )
        statuses = []
        for response in watch:
            statuses.append(response.status)
            if len(statuses) > 1 and response.status == SERVING:
                break
    time.sleep(1)
    stop.set()
    for caller in callers:
        caller.join(120)
        assert not caller.is_alive(), "a call hung after its worker died"
    after = server.worker_pids()
    assert len(after) == 2 and before[0] not in after and before[1] in after
    return codes, statuses


def test_killed_worker_fails_its_calls_unavailable_and_is_replaced(two_worker_server, gum_documents) -> None:
    texts = [d["text"] for d in gum_documents[:40]]
    codes, statuses = run_load_and_kill_a_worker(two_worker_server, texts, retrying=False)
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
    assert health_pb2.HealthCheckResponse.NOT_SERVING in statuses and statuses[-1] == SERVING
    with NerClient(two_worker_server.address) as client:
        assert [e.text for e in client.extract("Nairobi.")] == ["Nairobi"]
    assert any(entry.get("message") == "worker exited; replacing it" for entry in two_worker_server.log)


def test_client_retry_policy_hides_a_killed_worker(two_worker_server, gum_documents) -> None:
    texts = [d["text"] for d in gum_documents[:40]]
    codes, _ = run_load_and_kill_a_worker(two_worker_server, texts, retrying=True)
    assert set(codes) == {grpc.StatusCode.OK}
    assert len(codes) > 10
