"""Adaptive micro-batching: groups waiting texts into batches and hands every caller its result.

A batch is whatever is waiting when a worker can take more, up to a limit in texts and in
characters; nothing waits on a timer, so a lone caller is never delayed. Work that arrives while
several workers are idle goes to the idle worker of the lowest slot, so light traffic keeps one
worker's caches warm instead of spreading over all of them. The queue is bounded (load
shedding), texts whose deadline passed are dropped before inference, and cancelled callers'
texts are skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ner_server.errors import DeadlineExceeded, InferenceFailed, Overloaded, Unavailable
from ner_server.model import EntityRecord
from ner_server.pool import Worker, WorkerDied

log = logging.getLogger(__name__)

__all__ = ["BatchLimits", "Batcher", "WorkerSource"]

#: Gives the ready worker of a slot, waiting while it is being (re)started.
WorkerSource = Callable[[int], Awaitable[Worker]]


@dataclass(frozen=True)
class BatchLimits:
    max_documents: int
    max_chars: int
    max_queued_documents: int
    max_queued_chars: int


@dataclass(eq=False)
class _Waiting:
    text: str
    deadline: float | None
    result: asyncio.Future[list[EntityRecord]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Batcher:
    """Feeds workers from one queue; `lanes` dispatchers per worker keep it busy back to back."""

    def __init__(self, limits: BatchLimits) -> None:
        self._limits = limits
        self._queue: deque[_Waiting] = deque()
        self._queued_chars = 0
        self._space = asyncio.Condition()
        self._lanes: list[asyncio.Task[None]] = []
        #: Lanes waiting for work, each as (slot, its wake-up).
        self._idle: list[tuple[int, asyncio.Future[None]]] = []
        #: A lane has been woken and has not taken its batch yet; more wake-ups would be early.
        self._waking = False

    def start(self, get_worker: WorkerSource, workers: int, lanes_per_worker: int) -> None:
        for slot in range(workers):
            for lane in range(lanes_per_worker):
                task = asyncio.create_task(self._dispatch(get_worker, slot), name=f"lane-{slot}-{lane}")
                self._lanes.append(task)

    async def stop(self) -> None:
        for task in self._lanes:
            task.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)
        self._fail_all(Unavailable("the server is shutting down"))

    def submit(
        self, texts: Sequence[str], deadline: float | None
    ) -> list[asyncio.Future[list[EntityRecord]]]:
        """Queue texts at once, or refuse them all with Overloaded when the queue is full."""
        chars = sum(map(len, texts))
        if not self._has_room(len(texts), chars):
            raise Overloaded(
                f"the server is at capacity ({len(self._queue)} documents and {self._queued_chars} "
                "characters queued); retry with backoff"
            )
        return [self._enqueue(text, deadline) for text in texts]

    async def submit_when_room(self, text: str, deadline: float | None) -> asyncio.Future[list[EntityRecord]]:
        """Queue one text, waiting for room; streams use this so they slow down instead of failing."""
        async with self._space:
            await self._space.wait_for(lambda: self._has_room(1, len(text)))
        return self._enqueue(text, deadline)

    @property
    def queued(self) -> int:
        return len(self._queue)

    def _has_room(self, documents: int, chars: int) -> bool:
        if not self._queue:
            return True  # an over-sized call on an empty queue still runs
        limits = self._limits
        return (
            len(self._queue) + documents <= limits.max_queued_documents
            and self._queued_chars + chars <= limits.max_queued_chars
        )

    def _enqueue(self, text: str, deadline: float | None) -> asyncio.Future[list[EntityRecord]]:
        waiting = _Waiting(text, deadline)
        self._queue.append(waiting)
        self._queued_chars += len(text)
        self._wake_next()
        return waiting.result

    def _wake_next(self) -> None:
        if self._waking or not self._idle:
            return
        lowest = min(self._idle, key=lambda idle: idle[0])
        self._idle.remove(lowest)
        lowest[1].set_result(None)
        self._waking = True

    async def _dispatch(self, get_worker: WorkerSource, slot: int) -> None:
        while True:
            worker = await get_worker(slot)
            batch = await self._take_share(slot)
            if worker.gone.done():
                worker = await get_worker(slot)
            try:
                outcomes = await worker.run([waiting.text for waiting in batch])
            except WorkerDied as error:
                log.error("a worker died holding %d documents: %s", len(batch), error)
                for waiting in batch:
                    _settle(waiting, Unavailable("the worker processing this document exited; retry"))
                continue
            except Exception as error:
                log.exception("dispatching a batch of %d documents failed", len(batch))
                for waiting in batch:
                    _settle(waiting, InferenceFailed(f"the batch failed: {type(error).__name__}"))
                continue
            for waiting, (kind, value) in zip(batch, outcomes, strict=True):
                _settle(waiting, value if kind == "ok" else InferenceFailed(str(value)))

    async def _wait_for_work(self, slot: int) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        idle = (slot, wake)
        self._idle.append(idle)
        try:
            await wake
        finally:
            if wake.cancelled():
                self._idle.remove(idle)
            else:
                self._waking = False

    async def _take_share(self, slot: int) -> list[_Waiting]:
        """Up to the limits, but no more than this lane's share of what is waiting, so one lane
        cannot take all the work while other workers sit idle."""
        limits = self._limits
        while True:
            if not self._queue:
                await self._wait_for_work(slot)
                continue
            now = asyncio.get_running_loop().time()
            share = -(-len(self._queue) // (len(self._idle) + 1))
            batch: list[_Waiting] = []
            chars = expired = abandoned = 0
            while self._queue and len(batch) < min(limits.max_documents, share):
                waiting = self._queue[0]
                if batch and chars + len(waiting.text) > limits.max_chars:
                    break
                self._queue.popleft()
                self._queued_chars -= len(waiting.text)
                if waiting.result.done():
                    abandoned += 1  # the caller went away
                    continue
                if waiting.deadline is not None and waiting.deadline <= now:
                    _settle(waiting, DeadlineExceeded("the deadline passed while the document was queued"))
                    expired += 1
                    continue
                batch.append(waiting)
                chars += len(waiting.text)
            if expired or abandoned:
                log.info(
                    "skipped queued documents", extra={"deadline_passed": expired, "caller_gone": abandoned}
                )
            if self._queue:
                self._wake_next()
            async with self._space:
                self._space.notify_all()
            if batch:
                return batch

    def _fail_all(self, error: Exception) -> None:
        while self._queue:
            _settle(self._queue.popleft(), error)
        self._queued_chars = 0


def _settle(waiting: _Waiting, outcome: list[EntityRecord] | Exception) -> None:
    if waiting.result.done():
        return
    if isinstance(outcome, Exception):
        waiting.result.set_exception(outcome)
    else:
        waiting.result.set_result(outcome)
