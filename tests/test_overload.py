"""Overload and deadlines: bounded queues shed load, streams obey flow control, expired or
cancelled work never reaches a worker.

The worker is held still with SIGSTOP wherever a test needs work to stay unfinished, so nothing
here depends on how fast the machine runs the model.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2
from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_server.front.tracing import TRACE_FIELD

from tests import texts
from tests.support import ServerProcess, stopped, unread_bytes, wait_until

#: Documents the small server queues before it refuses calls.
QUEUE = 6
#: About 20,000 characters: more than half of a worker batch, so each is a batch of its own.
LONG_TEXT = "\n\n".join(document["text"] for document in texts.DOCUMENTS[:3])


@pytest.fixture(scope="module")
def small_server():
    """One worker and a short queue, so overload is easy to reach. At DEBUG, with a project set, the
    server logs each call it is done with, under the call's trace: how a test knows that the server
    has given up on a call, and not only the client."""
    server = ServerProcess(
        [
            "--workers",
            "1",
            "--max-queued-documents",
            str(QUEUE),
            "--stream-window",
            "8",
            "--log-level",
            "DEBUG",
        ],
        env={**os.environ, "GOOGLE_CLOUD_PROJECT": "ner-overload-test"},
    )
    server.wait_serving()
    yield server
    assert server.stop() == 0


def skipped(server: ServerProcess) -> int:
    """Queued documents dropped before inference: their deadline had passed or their caller left."""
    return sum(
        entry.get("deadline_passed", 0) + entry.get("caller_gone", 0)
        for entry in list(server.log)
        if entry.get("message") == "skipped queued documents"
    )


def new_trace() -> tuple[str, list[tuple[str, str]]]:
    """A trace id of its own, and the metadata that puts a call under it."""
    trace = uuid.uuid4().hex
    return trace, [("x-cloud-trace-context", f"{trace}/1;o=1")]


def ended(server: ServerProcess, trace: str) -> int:
    """Calls of `trace` that the server has finished with (answered, failed or given up on)."""
    return sum(
        1
        for entry in list(server.log)
        if entry.get("message") == "call completed" and str(entry.get(TRACE_FIELD, "")).endswith(trace)
    )


def unary(text: str) -> ner_pb2.ExtractEntitiesRequest:
    return ner_pb2.ExtractEntitiesRequest(text=text)


def answered_once_the_queue_drains(stub: ner_pb2_grpc.NerServiceStub) -> None:
    """A call answered after everything earlier tests left in the queue (it is first in, first out)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            stub.ExtractEntities(unary("Lagos."), timeout=30)
            return
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def code_of(call: grpc.Future) -> grpc.StatusCode:
    call.exception()  # waits for the call to end
    return call.code()  # type: ignore[no-any-return]


def test_full_queue_sheds_load_with_resource_exhausted(small_server) -> None:
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        answered_once_the_queue_drains(stub)
        with stopped(small_server.worker_pids()):
            # One batch goes to the stopped worker and six wait behind it; the rest find no room.
            calls = [
                stub.ExtractEntities.future(unary(document["text"]), timeout=60)
                for document in (texts.DOCUMENTS * 7)[:40]
            ]
            wait_until(lambda: any(call.done() for call in calls), what="a call refused")
            refused_early = [call for call in calls if call.done()]
        codes = [code_of(call) for call in calls]
    assert {code_of(call) for call in refused_early} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert set(codes) == {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}
    for call in calls:
        if call.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
            assert "capacity" in (call.details() or "")
    assert small_server.health() == health_pb2.HealthCheckResponse.SERVING


def settled(count: Callable[[], int], quiet: float = 1.0, timeout: float = 60) -> int:
    """The value of `count()` once it has stopped changing for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    value, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError(f"still changing after {timeout} s, now at {value}")
        time.sleep(0.05)
        if (now := count()) != value:
            value, since = now, time.monotonic()
    return value


def test_stream_reads_only_a_bounded_window_ahead_of_its_answers(small_server) -> None:
    text = "Kofi Annan spoke in Geneva. " * 3000  # about 84,000 characters
    sent = 0

    def requests():
        nonlocal sent
        for index in range(1000):
            sent += 1
            yield ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=str(index), text=text))

    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        answered_once_the_queue_drains(stub)
        with stopped(small_server.worker_pids()):
            # Nothing can be answered, so only flow control stops the sender: a server without it
            # would swallow all 1,000 documents (84 MB) and the sender would never settle.
            responses = stub.StreamExtractEntities(requests(), timeout=120)
            held_back = settled(lambda: sent)
        first = next(responses)
        responses.cancel()
    assert held_back < 400, f"the sender got {held_back} documents out while nothing was answered"
    assert first.result.id == "0"


def test_queued_calls_past_their_deadline_never_reach_a_worker(small_server) -> None:
    trace, metadata = new_trace()
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        answered_once_the_queue_drains(stub)
        before = skipped(small_server)
        [worker] = small_server.worker_pids()
        with stopped([worker]):
            occupying = stub.ExtractEntities.future(unary("Ada Lovelace lived in London."), timeout=60)
            wait_until(lambda: unread_bytes(worker) > 0, what="a batch handed to the stopped worker")
            # The one worker holds that batch, so these wait in the queue until their deadlines pass.
            late = [
                stub.ExtractEntities.future(unary(f"Lagos, day {n}."), timeout=0.5, metadata=metadata)
                for n in range(4)
            ]
            codes = [code_of(call) for call in late]
            wait_until(lambda: ended(small_server, trace) == len(late), what="the server giving up on them")
        assert occupying.result().entities
        wait_until(lambda: skipped(small_server) > before, what="the late calls skipped")
    assert codes == [grpc.StatusCode.DEADLINE_EXCEEDED] * len(late)
    assert skipped(small_server) - before == len(late)


def test_a_cancelled_stream_leaves_its_queued_documents_unrun(small_server) -> None:
    trace, metadata = new_trace()
    documents = (ner_pb2.Document(id=str(n), text=LONG_TEXT) for n in range(100))
    with grpc.insecure_channel(small_server.address) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        answered_once_the_queue_drains(stub)
        before = skipped(small_server)
        with stopped(small_server.worker_pids()):
            responses = stub.StreamExtractEntities(
                (ner_pb2.StreamExtractEntitiesRequest(document=d) for d in documents),
                timeout=120,
                metadata=metadata,
            )
            # The stream's reader fills the queue behind the stopped worker's batch. A probe that is
            # refused proves the queue full; one let in waits in it until its deadline passes.
            let_in = 0
            while (code := probe(stub, metadata)) != grpc.StatusCode.RESOURCE_EXHAUSTED:
                assert code == grpc.StatusCode.DEADLINE_EXCEEDED
                let_in += 1
                assert let_in < QUEUE, "the stream put nothing in the queue"
            responses.cancel()
            # Under the trace: the probes let in, the refused one, and the stream.
            wait_until(lambda: ended(small_server, trace) == let_in + 2, what="the server ending the stream")
        wait_until(lambda: skipped(small_server) >= before + QUEUE, what="the queued documents skipped")
        stub.ExtractEntities(unary("Lagos."), timeout=30)
    # Everything queued was dropped, the stream's documents among them; none of it was run.
    assert skipped(small_server) - before == QUEUE


def probe(stub: ner_pb2_grpc.NerServiceStub, metadata: list[tuple[str, str]]) -> grpc.StatusCode:
    try:
        stub.ExtractEntities(unary("Lagos."), timeout=0.3, metadata=metadata)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_many_clients_keep_server_memory_bounded(small_server) -> None:
    def rss_kib(pid: int) -> int:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

    text = texts.DOCUMENTS[0]["text"] * 3
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
