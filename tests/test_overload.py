"""Overload and deadlines: bounded queues shed load, streams obey flow control, expired or
cancelled work never reaches a worker."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.support import ServerProcess


@pytest.fixture(scope="module")
def small_server():
    """One worker and a short queue, so overload is easy to reach."""
    server = ServerProcess(["--workers", "1", "--max-queued-documents", "6", "--stream-window", "8"])
    server.wait_serving()
    yield server
    assert server.stop() == 0


def skipped(server: ServerProcess) -> int:
    return sum(
        entry.get("deadline_passed", 0) + entry.get("caller_gone", 0)
        for entry in server.log
        if entry.get("message") == "skipped queued documents"
    )


def test_full_queue_sheds_load_with_resource_exhausted(small_server, gum_documents) -> None:
    texts = [d["text"] for d in gum_documents[:40]]
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)

        def call(text: str) -> grpc.StatusCode:
            try:
                stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=60)
            except grpc.RpcError as error:
                assert (
                    "capacity" in (error.details() or "")
                    or error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED
                )
                return error.code()
            return grpc.StatusCode.OK

        with ThreadPoolExecutor(40) as pool:
            codes = list(pool.map(call, texts))
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert small_server.health() == health_pb2.HealthCheckResponse.SERVING


def test_stream_reads_only_a_bounded_window_ahead_of_its_answers(small_server) -> None:
    text = "Kofi Annan spoke in Geneva. " * 3000  # about 84,000 characters
    sent = 0

    def requests():
        nonlocal sent
        for index in range(1000):
            sent += 1
            yield ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=str(index), text=text))

    with grpc.insecure_channel(small_server.address) as channel:
        responses = ner_pb2_grpc.NerServiceStub(channel).StreamExtractEntities(requests(), timeout=60)
        # Read nothing: a server without flow control would swallow all 1,000 documents (84 MB).
        time.sleep(5)
        early = sent
        time.sleep(4)
        held_back = sent
        first = next(responses)
        responses.cancel()
    assert first.result.id == "0"
    assert held_back < 400, f"the sender got {held_back} documents out while nothing was read"
    assert held_back - early < 50, f"the sender was still going: {early} then {held_back} documents"


def test_queued_calls_past_their_deadline_never_reach_a_worker(small_server, gum_documents) -> None:
    before = skipped(small_server)
    long_texts = [d["text"] for d in gum_documents[:6]] * 2
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        occupy = ner_pb2.BatchExtractEntitiesRequest(documents=[ner_pb2.Document(text=t) for t in long_texts])
        for _ in range(100):  # earlier tests may still hold the short queue for a moment
            try:
                stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text="Lagos."), timeout=30)
                break
            except grpc.RpcError:
                time.sleep(0.1)
        busy = threading.Thread(target=lambda: stub.BatchExtractEntities(occupy, timeout=120))
        busy.start()
        time.sleep(0.2)
        codes = []
        for _ in range(4):
            try:
                stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text="Lagos."), timeout=0.05)
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                codes.append(error.code())
        busy.join(120)
    assert set(codes) <= {grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
    deadline = time.monotonic() + 30
    while skipped(small_server) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert skipped(small_server) > before


def test_a_cancelled_stream_stops_using_the_worker(small_server, gum_documents) -> None:
    documents = [ner_pb2.Document(id=str(i), text=d["text"]) for i, d in enumerate(gum_documents * 3)]
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        responses = stub.StreamExtractEntities(
            (ner_pb2.StreamExtractEntitiesRequest(document=d) for d in documents), timeout=120
        )
        next(responses)
        responses.cancel()
        # The documents the cancelled stream had queued are skipped, so a new call is answered
        # promptly instead of after the 240 long documents it sent.
        started = time.monotonic()
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text="Lagos."), timeout=30)
        waited = time.monotonic() - started
    assert waited < 10
    time.sleep(0.5)
    busy_before = worker_cpu_seconds(small_server)
    time.sleep(2)
    assert worker_cpu_seconds(small_server) - busy_before < 0.3


def worker_cpu_seconds(server: ServerProcess) -> float:
    ticks = 0
    for pid in server.worker_pids():
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def test_many_clients_keep_server_memory_bounded(small_server, gum_documents) -> None:
    def rss_kib(pid: int) -> int:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    text = gum_documents[0]["text"] * 4
    before = rss_kib(small_server.pid)
    channels = [grpc.insecure_channel(small_server.address) for _ in range(20)]
    try:

        def hammer(channel: grpc.Channel) -> None:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            for _ in range(5):
                try:
                    stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=60)
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

        with ThreadPoolExecutor(len(channels) * 2) as pool:
            list(pool.map(hammer, channels * 2))
    finally:
        for channel in channels:
            channel.close()
    grown_mib = (rss_kib(small_server.pid) - before) / 1024
    assert grown_mib < 100, f"front process grew {grown_mib:.0f} MiB"
    assert os.path.exists(f"/proc/{small_server.pid}")
