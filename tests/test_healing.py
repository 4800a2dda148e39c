"""Any process of the server may die and the service heals: the fork server killed and then a
worker, under load, every slot filled again, health SERVING, and callers only ever see OK or
UNAVAILABLE, none of them kept waiting for a worker that cannot start.

The bounds below are safety limits far above what healing takes (about 2 s to load the model
again on an idle 2-core machine); the seconds each step took are written to
build/healing.json. Calls have a 60 s deadline: one held by a lane waiting for a slot that
cannot be filled would wait that long, far past the 10 s allowed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.conftest import ROOT
from tests.support import ServerProcess, child_pids, recorded_facts, stopped, wait_until

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
TEXTS = [f"Invoice {n} was sent from Montevideo to Asunción by Clara Ibáñez." for n in range(16)]


class Load:
    """Callers sending short texts back to back until stopped, recording each call's code and time."""

    def __init__(self, address: str, callers: int) -> None:
        self.codes: list[grpc.StatusCode] = []
        self.longest = 0.0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._call, args=(address,)) for _ in range(callers)]
        for thread in self._threads:
            thread.start()

    def _call(self, address: str) -> None:
        with grpc.insecure_channel(address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            while not self._stop.is_set():
                for text in TEXTS:
                    started = time.monotonic()
                    try:
                        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=60)
                        self.codes.append(grpc.StatusCode.OK)
                    except grpc.RpcError as error:
                        self.codes.append(error.code())
                    self.longest = max(self.longest, time.monotonic() - started)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)
            assert not thread.is_alive(), "a call hung"


def fork_servers(server: ServerProcess) -> list[int]:
    return child_pids(server.pid)


def wait_until_healed(server: ServerProcess, workers: int, gone: set[int], seconds: float) -> float:
    """Seconds until one fork server has `workers` workers, all ready, none of them in `gone`, and
    health says SERVING."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        [fork_server, *others] = fork_servers(server) or [0]
        pids = set(child_pids(fork_server)) if fork_server else set()
        ready = {entry.get("pid") for entry in list(server.log) if entry.get("message") == "worker ready"}
        filled = len(pids) == workers and pids <= ready and not pids & gone
        if not others and filled and server.health() == SERVING:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not healed within {seconds} s:\n" + "\n".join(server.raw_log[-30:]))


@pytest.fixture(scope="module")
def facts() -> Iterator[dict[str, Any]]:
    yield from recorded_facts(ROOT / "build" / "healing.json")


def test_fork_server_then_worker_killed_under_load_every_slot_is_filled_again(facts: dict[str, Any]) -> None:
    server = ServerProcess(["--workers", "2"])
    try:
        server.wait_serving()
        [first_fork_server] = fork_servers(server)
        first_workers = set(child_pids(first_fork_server))
        load = Load(server.address, callers=8)
        try:
            while len(load.codes) < 50:
                time.sleep(0.02)
            os.kill(first_fork_server, signal.SIGKILL)
            assert server.health() == SERVING  # its orphaned workers still answer
            facts["fork_server_healed_s"] = wait_until_healed(
                server, 2, first_workers | {first_fork_server}, seconds=60
            )
            [fork_server] = fork_servers(server)
            victim = child_pids(fork_server)[0]
            os.kill(victim, signal.SIGKILL)
            facts["worker_healed_s"] = wait_until_healed(server, 2, {victim}, seconds=60)
            answered = len(load.codes)
            while len(load.codes) < answered + 50:
                time.sleep(0.02)
        finally:
            load.stop()
        assert set(load.codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
        assert load.codes.count(grpc.StatusCode.OK) > 100
        facts["longest_call_s"] = load.longest
        facts["calls"] = {code.name: load.codes.count(code) for code in set(load.codes)}
        assert load.longest < 10.0, f"a call waited {load.longest:.2f} s"
        messages = [entry.get("message") for entry in server.log]
        for expected in ("fork server ready", "orphaned worker retired", "worker exited; replacing it"):
            assert expected in messages, "\n".join(server.raw_log)
    finally:
        assert server.stop() == 0


def test_health_is_not_serving_only_while_no_worker_can_take_work() -> None:
    server = ServerProcess(["--workers", "1"])
    try:
        server.wait_serving()
        [worker] = server.worker_pids()
        with stopped([server.fork_server_pid()]):  # no replacement can start meanwhile
            os.kill(worker, signal.SIGKILL)
            wait_until(lambda: server.health() == NOT_SERVING, what="NOT_SERVING with no worker")
        wait_until(lambda: server.health() == SERVING, what="SERVING with the replacement")
        [replacement] = server.worker_pids()
        assert replacement != worker
    finally:
        assert server.stop() == 0
