"""Bounded connections: past the limit on calls in flight, and on open streams per connection, a
call is refused with RESOURCE_EXHAUSTED while the others go on. Work is held still by stopping
the worker, never by timing."""

from __future__ import annotations

import os
import queue
import signal
from collections.abc import Iterator

import grpc
import pytest
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.scrape import free_port, scrape, value
from tests.support import ServerProcess, unread_bytes, wait_until


def request(document_id: str) -> ner_pb2.StreamExtractEntitiesRequest:
    return ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=document_id, text="Oslo."))


class OpenStream:
    """A stream with one document answered and the sending side held open."""

    def __init__(self, stub: ner_pb2_grpc.NerServiceStub, name: str) -> None:
        self._outbox: queue.Queue[ner_pb2.StreamExtractEntitiesRequest | None] = queue.Queue()
        self._outbox.put(request(name))
        self.responses = stub.StreamExtractEntities(self._requests(), timeout=60)

    def _requests(self) -> Iterator[ner_pb2.StreamExtractEntitiesRequest]:
        while (item := self._outbox.get()) is not None:
            yield item

    def first_id(self) -> str:
        return str(next(self.responses).result.id)

    def close(self) -> None:
        self._outbox.put(None)
        list(self.responses)


def test_streams_past_the_per_connection_limit_are_resource_exhausted() -> None:
    server = ServerProcess(["--workers", "1", "--max-streams-per-connection", "2"])
    try:
        server.wait_serving()
        with (
            grpc.insecure_channel(server.address) as channel,
            grpc.insecure_channel(server.address, options=[("grpc.use_local_subchannel_pool", 1)]) as other,
        ):
            stub = ner_pb2_grpc.NerServiceStub(channel)
            streams = [OpenStream(stub, name) for name in ("a", "b")]
            assert [stream.first_id() for stream in streams] == ["a", "b"]
            with pytest.raises(grpc.RpcError) as raised:
                OpenStream(stub, "c").first_id()
            assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "streams open" in (raised.value.details() or "")
            elsewhere = OpenStream(ner_pb2_grpc.NerServiceStub(other), "d")
            assert elsewhere.first_id() == "d"  # another connection has its own allowance
            elsewhere.close()
            streams.pop().close()
            again = OpenStream(stub, "e")
            assert again.first_id() == "e"  # a finished stream frees its place
            again.close()
            streams[0].close()
    finally:
        assert server.stop() == 0


def test_calls_past_the_concurrency_limit_are_resource_exhausted() -> None:
    metrics_port = free_port()
    server = ServerProcess(
        ["--workers", "1", "--max-concurrent-calls", "3", "--metrics-port", str(metrics_port)]
    )
    try:
        server.wait_serving()
        [worker] = server.worker_pids()
        with grpc.insecure_channel(server.address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            extract = ner_pb2.ExtractEntitiesRequest(text="Nairobi.")
            os.kill(worker, signal.SIGSTOP)
            try:
                # The stopped worker holds the first call (sent alone, so its batch holds it
                # alone); the other two wait in the queue.
                held = [stub.ExtractEntities.future(extract, timeout=60)]
                wait_until(lambda: unread_bytes(worker) > 0, what="a batch handed to the stopped worker")
                held += [stub.ExtractEntities.future(extract, timeout=60) for _ in range(2)]
                wait_until(
                    lambda: value(scrape(metrics_port), "ner_queue_documents") == 2,
                    what="two calls queued behind the stopped worker",
                )
                with pytest.raises(grpc.RpcError) as raised:
                    stub.ExtractEntities(extract, timeout=30)
                assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            finally:
                os.kill(worker, signal.SIGCONT)
            assert [len(future.result().entities) for future in held] == [1, 1, 1]
    finally:
        assert server.stop() == 0
