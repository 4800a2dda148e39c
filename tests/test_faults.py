"""A worker killed mid-load: its calls fail UNAVAILABLE (never hang), it is replaced, health
stays SERVING, and the client's retry policy hides the failure.

The worker is stopped before the load starts and killed once a batch is seen waiting for it, so
it always dies holding calls; the fork server is stopped meanwhile, so no replacement can start
while the other worker is seen answering and health is seen to stay SERVING.
"""

from __future__ import annotations

import os
import signal
import threading

import grpc
import pytest
from grpc_health.v1 import health_pb2
from ner_client import NerClient
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests import texts
from tests.support import ServerProcess, stopped, unread_bytes, wait_until

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
    server: ServerProcess, documents: list[str], retrying: bool
) -> tuple[list[grpc.StatusCode], list[int]]:
    stop = threading.Event()
    codes: list[grpc.StatusCode] = []
    callers = [
        threading.Thread(target=load, args=(server.address, documents[i::8], stop, codes, retrying))
        for i in range(8)
    ]
    before = server.worker_pids()
    victim = before[0]
    statuses = [server.health()]
    try:
        with stopped([victim]):
            for caller in callers:
                caller.start()
            wait_until(lambda: unread_bytes(victim) > 0, what="a batch handed to the stopped worker")
            with stopped([server.fork_server_pid()]):
                os.kill(victim, signal.SIGKILL)
                # No replacement can start while the fork server is stopped; the other worker answers.
                answered = codes.count(grpc.StatusCode.OK)
                wait_until(lambda: codes.count(grpc.StatusCode.OK) > answered + 10, what="calls answered")
                statuses.append(server.health())
        wait_until(
            lambda: len(server.worker_pids()) == 2 and victim not in server.worker_pids(),
            what="the worker replaced",
        )
        statuses.append(server.health())
    finally:
        stop.set()
        for caller in callers:
            if caller.ident is not None:  # started
                caller.join(120)
    assert not any(caller.is_alive() for caller in callers), "a call hung after its worker died"
    after = server.worker_pids()
    assert len(after) == 2 and before[0] not in after and before[1] in after
    return codes, statuses


def test_killed_worker_fails_its_calls_unavailable_and_is_replaced(two_worker_server) -> None:
    codes, statuses = run_load_and_kill_a_worker(two_worker_server, load_texts(), retrying=False)
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
    assert statuses == [SERVING, SERVING, SERVING]  # one worker left can still answer
    with NerClient(two_worker_server.address) as client:
        assert [e.text for e in client.extract("Nairobi.")] == ["Nairobi"]
    assert any(entry.get("message") == "worker exited; replacing it" for entry in two_worker_server.log)


def test_client_retry_policy_hides_a_killed_worker(two_worker_server) -> None:
    codes, _ = run_load_and_kill_a_worker(two_worker_server, load_texts(), retrying=True)
    assert set(codes) == {grpc.StatusCode.OK}
    assert len(codes) > 10


def load_texts() -> list[str]:
    """Forty texts, long and short, for eight callers."""
    return [d["text"] for d in [*texts.DOCUMENTS, *texts.PARAGRAPHS][:40]]
