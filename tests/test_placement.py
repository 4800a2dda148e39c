"""Where work runs: each worker on a CPU of its own, in the environment made for it, and light
traffic on one worker only."""

from __future__ import annotations

import os

import pytest
from ner_client.proto import ner_pb2
from ner_server.shared.worker_config import MODEL_PROCESS_ENV

from tests import texts
from tests.support import ServerProcess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to tell workers apart")
def test_each_worker_is_pinned_to_a_cpu_of_its_own(server: ServerProcess) -> None:
    affinities = [os.sched_getaffinity(pid) for pid in server.worker_pids()]
    assert len(affinities) == 2
    assert all(len(cpus) == 1 for cpus in affinities), affinities
    assert affinities[0] != affinities[1]
    assert set().union(*affinities) <= os.sched_getaffinity(0)


def environment(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        entries = handle.read().decode().split("\0")
    return dict(entry.split("=", 1) for entry in entries if "=" in entry)


def test_model_processes_start_with_one_blas_thread_and_a_heap_that_keeps_freed_memory(
    server: ServerProcess,
) -> None:
    model_processes = [server.fork_server_pid(), *server.worker_pids()]
    assert len(model_processes) == 3
    for pid in model_processes:
        assert MODEL_PROCESS_ENV.items() <= environment(pid).items(), pid
    assert not MODEL_PROCESS_ENV.items() <= environment(server.pid).items()


def test_pinning_can_be_turned_off() -> None:
    process = ServerProcess(["--workers", "2", "--pin-workers", "false"])
    try:
        process.wait_serving()
        for pid in process.worker_pids():
            assert os.sched_getaffinity(pid) == os.sched_getaffinity(0)
    finally:
        process.stop()


def test_one_caller_at_a_time_is_served_by_one_worker(server: ServerProcess, stub) -> None:
    workers = server.worker_pids()
    before = [cpu_seconds(pid) for pid in workers]
    for document in [*texts.PARAGRAPHS, *texts.DOCUMENTS, *texts.DOCUMENTS]:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=document["text"]), timeout=30)
    used = sorted(cpu_seconds(pid) - start for pid, start in zip(workers, before, strict=True))
    idle_worker, busy_worker = used
    assert busy_worker >= 0.05, used
    assert idle_worker <= busy_worker / 5, used
