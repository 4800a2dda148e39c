"""The batcher driven on its own, with fake workers and no fork server: how it forms batches (limits
in documents and bytes, one over-long document alone), how long a worker waits to gather a batch
(and that it never waits while another worker is idle), and that an error reaches every caller.

Time is the event loop's own, and virtual: when every task waits, the loop jumps to its next timer
instead of sleeping, so a test sees exact instants and runs in milliseconds.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Sequence

import pytest
from ner_server.front.batcher import Batcher, BatchLimits
from ner_server.pool import WorkerDied
from ner_server.shared.errors import DeadlineExceeded, InferenceFailed, Unavailable
from ner_server.shared.messages import Answer, JobKind, Outcome

WINDOW = 0.015


class _JumpingSelector(selectors.DefaultSelector):
    """Never sleeps: where the loop would wait for its next timer, the clock moves to it."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self.loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready:
            if timeout is None:
                raise RuntimeError("every task waits and no timer is set: the test would hang")
            self.loop.now += timeout
        return ready


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.now


class FakeWorker:
    """Answers each job with its own request after `seconds` of loop time; records every batch with
    the instant it arrived. `hold` keeps the next batches until it is set; `failure` is raised."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.batches: list[tuple[float, list[bytes]]] = []
        self.hold: asyncio.Event | None = None
        self.failure: Exception | None = None

    @property
    def usable(self) -> bool:
        return True

    async def run(self, kinds: bytes, requests: list[bytes]) -> Answer:
        self.batches.append((asyncio.get_running_loop().time(), list(requests)))
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(self.seconds)
        if self.failure is not None:
            raise self.failure
        return Answer(len(self.batches), list(requests), 0)

    def sizes(self) -> list[int]:
        return [len(requests) for _, requests in self.batches]


class Observer:
    def batch_sent(self, documents: int, size: int, waits: Sequence[float]) -> None:
        pass

    def batch_answered(self, answer: Answer) -> None:
        pass


def run(
    workers: list[FakeWorker],
    body: Callable[[Batcher], Awaitable[None]],
    *,
    max_documents: int = 64,
    max_bytes: int = 1_000_000,
    gather: float = WINDOW,
) -> None:
    async def main() -> None:
        batcher = Batcher(BatchLimits(max_documents, max_bytes, 1_000, 10_000_000, gather), Observer())

        async def get_worker(slot: int) -> FakeWorker:
            return workers[slot]

        batcher.start(get_worker, len(workers), 1)
        try:
            await body(batcher)
        finally:
            await batcher.stop()

    asyncio.run(main(), loop_factory=VirtualTimeLoop)


def submit(
    batcher: Batcher, *requests: bytes, deadline: float | None = None
) -> list[asyncio.Future[Outcome]]:
    return batcher.submit(JobKind.CALL, requests, deadline)


async def settled() -> None:
    """Let every task run until all of them wait (the clock does not move)."""
    for _ in range(20):
        await asyncio.sleep(0)


def now() -> float:
    return asyncio.get_running_loop().time()


def test_batches_stop_at_the_document_and_byte_limits_and_an_over_long_document_goes_alone() -> None:
    worker = FakeWorker()

    async def body(batcher: Batcher) -> None:
        worker.hold = asyncio.Event()
        first = submit(batcher, b"f" * 10)
        await settled()  # the worker holds the first batch while the rest queue up
        small = [bytes([65 + index]) for index in range(6)]
        tens = [bytes([97 + index]) * 10 for index in range(5)]
        requests = [*small, b"L" * 100, *tens]
        results = submit(batcher, *requests)
        worker.hold.set()
        assert await asyncio.gather(*first, *results) == [b"f" * 10, *requests]

    run([worker], body, max_documents=4, max_bytes=35)
    # 4 documents; 2 more (the long one would pass 35 bytes); the long one alone; 3 of 10 bytes; 2.
    assert worker.sizes() == [1, 4, 2, 1, 3, 2]
    assert [len(b"".join(requests)) for _, requests in worker.batches] == [10, 4, 2, 100, 30, 20]


def busy_worker_answers_a_batch_of_three(worker: FakeWorker) -> Callable[[Batcher], Awaitable[float]]:
    """Setup: the worker answers a batch of 3 in 0.04 s, so its window is min(WINDOW, 0.04 / 4) = 0.01 s."""

    async def setup(batcher: Batcher) -> float:
        await asyncio.gather(*submit(batcher, b"1", b"2", b"3"))
        await settled()
        return now()

    return setup


def test_a_lone_document_waits_the_window_of_a_worker_that_answered_a_batch_then_goes_alone() -> None:
    worker = FakeWorker(seconds=0.04)

    async def body(batcher: Batcher) -> None:
        start = await busy_worker_answers_a_batch_of_three(worker)(batcher)
        assert await asyncio.gather(*submit(batcher, b"a")) == [b"a"]
        sent_at, requests = worker.batches[-1]
        assert (round(sent_at - start, 6), requests) == (0.01, [b"a"])

    run([worker], body)
    assert worker.sizes() == [3, 1]


def test_documents_that_arrive_within_the_window_go_in_one_batch_as_soon_as_it_is_whole() -> None:
    worker = FakeWorker(seconds=0.04)

    async def body(batcher: Batcher) -> None:
        start = await busy_worker_answers_a_batch_of_three(worker)(batcher)
        first = submit(batcher, b"a")
        later: list[asyncio.Future[Outcome]] = []
        asyncio.get_running_loop().call_later(0.004, lambda: later.extend(submit(batcher, b"b", b"c")))
        assert await asyncio.gather(*first) == [b"a"]
        assert await asyncio.gather(*later) == [b"b", b"c"]
        sent_at, requests = worker.batches[-1]
        assert (round(sent_at - start, 6), requests) == (0.004, [b"a", b"b", b"c"])

    run([worker], body)
    assert worker.sizes() == [3, 3]


def test_no_worker_waits_to_gather_while_another_worker_is_idle() -> None:
    workers = [FakeWorker(seconds=0.04), FakeWorker(seconds=0.04)]

    async def body(batcher: Batcher) -> None:
        await asyncio.gather(*submit(batcher, b"1", b"2", b"3"))  # shared out: 2 and 1
        await settled()
        start = now()
        assert await asyncio.gather(*submit(batcher, b"a")) == [b"a"]
        assert workers[0].batches[-1] == (start, [b"a"])  # at once, by the lowest idle slot

    run(workers, body)
    assert (workers[0].sizes(), workers[1].sizes()) == ([2, 1], [1])


def test_a_worker_that_dies_fails_every_caller_of_its_batch_unavailable() -> None:
    worker = FakeWorker()
    worker.failure = WorkerDied("worker 1234 exited")

    async def body(batcher: Batcher) -> None:
        outcomes = await asyncio.gather(*submit(batcher, b"a", b"b", b"c"), return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [Unavailable] * 3
        assert all("exited; retry" in str(outcome) for outcome in outcomes)

    run([worker], body)
    assert worker.sizes() == [3]


def test_a_batch_that_fails_otherwise_fails_every_caller_internal(caplog: pytest.LogCaptureFixture) -> None:
    worker = FakeWorker()
    worker.failure = ValueError("broken answer")

    async def body(batcher: Batcher) -> None:
        outcomes = await asyncio.gather(*submit(batcher, b"a", b"b"), return_exceptions=True)
        assert [(type(outcome), str(outcome)) for outcome in outcomes] == [
            (InferenceFailed, "the batch failed: ValueError")
        ] * 2

    run([worker], body)
    assert "dispatching a batch of 2 documents failed" in caplog.text


def test_a_document_whose_deadline_passed_while_queued_is_refused_and_never_sent() -> None:
    worker = FakeWorker()

    async def body(batcher: Batcher) -> None:
        worker.hold = asyncio.Event()
        held = submit(batcher, b"held")
        await settled()
        late = submit(batcher, b"late", deadline=now() + 0.01)
        on_time = submit(batcher, b"on time", deadline=now() + 0.03)
        await asyncio.sleep(0.02)
        worker.hold.set()
        outcomes = await asyncio.gather(*held, *late, *on_time, return_exceptions=True)
        assert [type(outcome) for outcome in outcomes] == [bytes, DeadlineExceeded, bytes]

    run([worker], body)
    assert [requests for _, requests in worker.batches] == [[b"held"], [b"on time"]]


def test_callers_still_queued_when_the_batcher_stops_are_refused_unavailable() -> None:
    worker = FakeWorker()
    worker.hold = asyncio.Event()  # never set: the worker keeps its first batch
    queued: list[asyncio.Future[Outcome]] = []

    async def body(batcher: Batcher) -> None:
        submit(batcher, b"held")
        await settled()
        queued.extend(submit(batcher, b"a", b"b"))

    run([worker], body)
    assert [type(future.exception()) for future in queued] == [Unavailable, Unavailable]
    assert worker.sizes() == [1]
