"""The pool and the batcher driven in-process, with the real fork server and workers: a killed
worker's batch fails UNAVAILABLE for every caller and the slot is filled again; a dead fork server
is replaced while its workers keep serving; a document past its deadline never reaches a worker."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Sequence

import pytest
from ner_client.proto import ner_pb2
from ner_server.front.batcher import Batcher, BatchLimits
from ner_server.front.settings import Settings
from ner_server.pool import WorkerPool
from ner_server.shared.errors import DeadlineExceeded, Unavailable
from ner_server.shared.messages import Answer, JobKind, Outcome, Refused

from tests.support import child_pids


class Batches:
    """Records what the batcher reports."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.answered = 0

    def batch_sent(self, documents: int, size: int, waits: Sequence[float]) -> None:
        self.sent.append(documents)

    def batch_answered(self, answer: Answer) -> None:
        self.answered += len(answer.outcomes)


def call(text: str, labels: Sequence[str] = ()) -> bytes:
    return ner_pb2.ExtractEntitiesRequest(text=text, labels=labels).SerializeToString()


def submit(
    batcher: Batcher, *requests: bytes, deadline: float | None = None
) -> list[asyncio.Future[Outcome]]:
    return batcher.submit(JobKind.CALL, requests, deadline)


def entities(outcome: Outcome) -> list[str]:
    assert isinstance(outcome, bytes)
    return [e.text for e in ner_pb2.ExtractEntitiesResponse.FromString(outcome).entities]


def run_with_pool(workers: int, body: Callable[[WorkerPool, Batcher, Batches], Awaitable[None]]) -> None:
    async def main() -> None:
        readiness: list[bool] = []

        async def on_readiness(ready: bool) -> None:
            readiness.append(ready)

        pool = WorkerPool(
            size=workers,
            config=Settings(workers=workers).worker_config(),
            pin_workers=False,
            on_readiness=on_readiness,
        )
        batches = Batches()
        batcher = Batcher(BatchLimits(64, 36_000, 100, 1_000_000, 0.004), batches)
        await pool.start()
        batcher.start(pool.worker, workers, 1)
        try:
            await asyncio.wait_for(until(lambda: pool.ready_workers() == workers), 60)
            await body(pool, batcher, batches)
        finally:
            await batcher.stop()
            await pool.stop()

    asyncio.run(main())


def running(pid: int) -> bool:
    """Alive and not a zombie (a retired orphan is reaped by whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)


def test_batcher_answers_every_job_and_refuses_bad_input() -> None:
    async def body(pool: WorkerPool, batcher: Batcher, batches: Batches) -> None:
        jobs = [call("Lagos and Accra."), call(""), call("Tbilisi.", ["PERSON"]), call("x", ["PLANET"])]
        outcomes = await asyncio.gather(*submit(batcher, *jobs))
        assert entities(outcomes[0]) == ["Lagos", "Accra"]
        assert outcomes[1] == Refused(3, "text", "must not be empty")
        assert entities(outcomes[2]) == []
        assert isinstance(outcomes[3], Refused) and outcomes[3].field == "labels"
        assert sum(batches.sent) == 4 and batches.answered == 4

    run_with_pool(1, body)


def test_a_killed_worker_fails_its_whole_batch_unavailable_and_is_replaced() -> None:
    async def body(pool: WorkerPool, batcher: Batcher, batches: Batches) -> None:
        [worker] = pool.worker_pids()
        os.kill(worker, signal.SIGSTOP)
        try:
            results = submit(batcher, *(call(f"Document {n} from Vilnius.") for n in range(5)))
            await until(lambda: sum(batches.sent) == 5)  # the stopped worker holds all five
            os.kill(worker, signal.SIGKILL)
        finally:
            os.kill(worker, signal.SIGCONT)
        for result in results:
            with pytest.raises(Unavailable):
                await result
        await asyncio.wait_for(until(lambda: pool.ready_workers() == 1), 30)
        assert pool.worker_pids() != [worker]
        [after] = await asyncio.gather(*submit(batcher, call("Riga.")))
        assert entities(after) == ["Riga"]

    run_with_pool(1, body)


def test_a_document_past_its_deadline_never_reaches_a_worker() -> None:
    async def body(pool: WorkerPool, batcher: Batcher, batches: Batches) -> None:
        [worker] = pool.worker_pids()
        os.kill(worker, signal.SIGSTOP)
        try:
            [held] = submit(batcher, call("Helsinki."))
            await until(lambda: sum(batches.sent) == 1)  # the lane is busy with the stopped worker
            loop = asyncio.get_running_loop()
            [late] = submit(batcher, call("Tallinn."), deadline=loop.time() + 0.05)
            await asyncio.sleep(0.1)  # its deadline passes while it cannot leave the queue
        finally:
            os.kill(worker, signal.SIGCONT)
        assert entities(await held) == ["Helsinki"]
        with pytest.raises(DeadlineExceeded):
            await late
        assert sum(batches.sent) == 1

    run_with_pool(1, body)


def test_a_dead_fork_server_is_replaced_and_its_workers_serve_until_retired() -> None:
    async def body(pool: WorkerPool, batcher: Batcher, batches: Batches) -> None:
        first_fork_server = pool.fork_server_pid
        assert first_fork_server is not None
        orphans = child_pids(first_fork_server)
        assert sorted(orphans) == sorted(pool.worker_pids())
        os.kill(first_fork_server, signal.SIGKILL)
        [answer] = await asyncio.gather(*submit(batcher, call("Quito.")))
        assert entities(answer) == ["Quito"]  # served by an orphan while the model loads again

        def replaced() -> bool:
            return (
                pool.fork_server_pid != first_fork_server
                and pool.ready_workers() == 2
                and not set(pool.worker_pids()) & set(orphans)
            )

        await asyncio.wait_for(until(replaced), 60)
        assert pool.fork_server_pid is not None
        assert sorted(child_pids(pool.fork_server_pid)) == sorted(pool.worker_pids())
        await asyncio.wait_for(until(lambda: not any(map(running, orphans))), 30)
        [answer] = await asyncio.gather(*submit(batcher, call("Lima.")))
        assert entities(answer) == ["Lima"]

    run_with_pool(2, body)


def test_a_lane_takes_no_more_than_its_share_of_the_documents_waiting_and_in_flight() -> None:
    async def body(pool: WorkerPool, batcher: Batcher, batches: Batches) -> None:
        first, _ = pool.worker_pids()
        os.kill(first, signal.SIGSTOP)
        try:
            held = submit(batcher, *[call("A note from Porto.")] * 4)
            await until(lambda: batches.sent == [2, 2] and batches.answered == 2)
            # 2 documents wait in the stopped worker and 6 in the queue: the other lane takes 4 of
            # the 8, not all 6, and then the 2 left.
            later = submit(batcher, *[call("A letter from Braga.")] * 6)
            await until(lambda: batches.answered == 8)
        finally:
            os.kill(first, signal.SIGCONT)
        answered = await asyncio.gather(*held, *later)
        assert [entities(outcome) for outcome in answered] == [["Porto"]] * 4 + [["Braga"]] * 6
        assert batches.sent == [2, 2, 4, 2]

    run_with_pool(2, body)
