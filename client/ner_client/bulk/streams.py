"""The resilient streams: each keeps a StreamExtractEntities call going until the input runs out.

A stream takes jobs from the shared `Feed`, keeps at most `window` of them in flight, and pairs
each response with the oldest job in flight (the server answers in input order). A call rolls
over after `RollOver.documents` documents or `RollOver.seconds` seconds: the stream half-closes
it, reads the answers still owed, and opens a new call, which a load balancer routes afresh, so
that instances added during a long job get their share. When the call
breaks (UNAVAILABLE, a restarted server, GOAWAY, a stream deadline, CANCELLED by the server) the
jobs still in flight are kept; the stream reconnects with backoff and sends exactly those again
before taking new ones. A job leaves a stream only when its answer has been read, so no document
is lost, and an answer is accepted once, so none is repeated. An answer whose id is not the
oldest document's means the call is out of step; it is dropped like a broken one.

A document answered with a transient per-document error (its worker died, the server was
overloaded or shutting down) goes back to the feed, ahead of new documents, a few times.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from ner_client import status
from ner_client.bulk.failures import ConnectionFailed, cause, fatal, plain
from ner_client.bulk.needs import StreamingClient
from ner_client.bulk.retry import Backoff
from ner_client.bulk.settings import RollOver
from ner_client.bulk.watch import LogWatcher, Watcher
from ner_client.types import Document, DocumentResult

MAX_DOCUMENT_ATTEMPTS = 5


_NEW, _RETRY, _END = 1, 0, 2


@dataclass(slots=True)
class Job:
    """A document on its way: its place in the input and how often it has been tried."""

    sequence: int
    document: Document
    #: What the caller tags this document for (ner-tag's input row); travels along untouched.
    item: Any = None
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class Feed:
    """The jobs waiting for a stream: retries first, then new documents, then the end marker."""

    queue: asyncio.PriorityQueue[tuple[int, int, Job | None]] = field(default_factory=asyncio.PriorityQueue)
    retries_waiting: int = 0
    ended: bool = False

    def put(self, job: Job) -> None:
        self.queue.put_nowait((_NEW, job.sequence, job))

    def retry(self, job: Job) -> None:
        self.retries_waiting += 1
        self.queue.put_nowait((_RETRY, job.sequence, job))

    def end(self) -> None:
        self.queue.put_nowait((_END, 0, None))

    async def get(self) -> Job | None:
        """The next job, or None once the input is exhausted (the end marker stays for the others)."""
        rank, _, job = await self.queue.get()
        if job is None:
            self.ended = True
            self.queue.put_nowait((rank, 0, None))
        elif rank == _RETRY:
            self.retries_waiting -= 1
        return job

    @property
    def drained(self) -> bool:
        return self.ended and self.retries_waiting == 0


OnAnswer = Callable[[Job, DocumentResult], None]


class Stream:
    """One bidirectional call at a time, reconnected until the feed is drained and all is answered."""

    def __init__(
        self,
        name: str,
        client: StreamingClient,
        feed: Feed,
        on_answer: OnAnswer,
        *,
        labels: Sequence[str] = (),
        window: int = 32,
        stream_timeout: float = 3600.0,
        retry_budget: float = 120.0,
        rollover: RollOver | None = None,
        watcher: Watcher | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._feed = feed
        self._on_answer = on_answer
        self._labels = tuple(labels)
        self._window = window
        self._timeout = stream_timeout
        self._backoff = Backoff(retry_budget)
        self._rollover = rollover or RollOver()
        self._watcher = watcher or LogWatcher()
        self._in_flight: deque[Job] = deque()
        self._room = asyncio.Event()
        self._answers_this_call = 0
        self.reconnects = 0
        self.retried = 0
        #: Calls ended by the stream itself to move on to a new one.
        self.rollovers = 0
        self._rolled = False

    async def run(self) -> None:
        while True:
            try:
                await self._one_call()
            except grpc.aio.AioRpcError as error:
                if (failure := fatal(error)) is not None:
                    raise failure from error
                self.reconnects += 1
                first = self._backoff.failing_since is None
                if first:
                    self._watcher.notice(
                        f"stream {self.name} broke: {plain(error)}; "
                        f"reconnecting, {len(self._in_flight)} documents to resend"
                    )
                # A stream cut by its own deadline after answering reconnects at once (a Cloud
                # Run request timeout); any other break, or a cut with no answer, backs off.
                if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED or not self._answers_this_call:
                    await self._back_off(error, first)
                continue
            if not self._in_flight and self._feed.drained:
                return
            if self._rolled:
                self.rollovers += 1

    async def _back_off(self, error: grpc.aio.AioRpcError, first: bool) -> None:
        """Count the failure (`ConnectionFailed` once the budget is spent), show the budget left
        after the first, and wait before reconnecting."""
        left = self._backoff.failed(error)
        if not first:
            self._watcher.retrying(
                f"stream {self.name}: cannot reach {self._client.target}: {cause(error)}; "
                f"retrying, {left:.0f} s left"
            )
        await self._backoff.pause()

    async def _one_call(self) -> None:
        """Run one call until it ends. Raises AioRpcError when it breaks with documents unanswered."""
        self._answers_this_call = 0
        # This call's documents, in the order sent; None ends them. The sender is this stream's
        # own task, so that no document is taken from the feed once the call is over.
        outbox: asyncio.Queue[Document | None] = asyncio.Queue()
        sender = asyncio.create_task(self._send(outbox))
        results = self._client.stream(_drain(outbox), self._labels, timeout=self._timeout)
        try:
            async for result in results:
                self._answer(result)
            if self._in_flight:
                raise _broken(
                    grpc.StatusCode.UNAVAILABLE,
                    f"the stream ended with {len(self._in_flight)} documents unanswered",
                )
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            await results.aclose()  # cancels the call
            _close(outbox)

    async def _send(self, outbox: asyncio.Queue[Document | None]) -> None:
        self._rolled = False
        sent = 0
        for unanswered in list(self._in_flight):  # from the last call: they stay in flight
            outbox.put_nowait(unanswered.document)
            sent += 1
        limit = self._rollover.documents
        ends = None if self._rollover.seconds is None else time.monotonic() + self._rollover.seconds
        while True:
            if limit is not None and sent >= limit:
                self._rolled = True
                break
            try:
                # Waiting for room or for a job is cut short when the call's time is up. Both
                # waits are safe to cancel: a job is taken from the feed only when it is returned.
                async with asyncio.timeout_at(ends):
                    while len(self._in_flight) >= self._window:
                        self._room.clear()
                        await self._room.wait()
                    job = await self._feed.get()
            except TimeoutError:
                self._rolled = True
                break
            if job is None:
                break
            self._in_flight.append(job)  # before any await: a broken call resends it
            if (delay := job.not_before - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            outbox.put_nowait(job.document)
            sent += 1
        outbox.put_nowait(None)  # half-close: the server answers what it holds, then ends the call

    def _answer(self, result: DocumentResult) -> None:
        if not self._in_flight:
            raise ConnectionFailed(f"stream {self.name}: an answer for {result.id!r} that nothing awaits")
        if result.id != self._in_flight[0].document.id:
            # Out of step (a call replayed without some of its documents): accept nothing from
            # this call any more and resend everything unanswered on a new one.
            raise _broken(
                grpc.StatusCode.ABORTED,
                f"answer for {result.id!r}, expected {self._in_flight[0].document.id!r}",
            )
        job = self._in_flight.popleft()
        self._room.set()
        if (failed_for := self._backoff.progressed()) is not None:
            self._watcher.retrying(None)
            self._watcher.notice(f"stream {self.name} is back after {failed_for:.1f} s")
        self._answers_this_call += 1
        job.attempts += 1
        if (
            result.error is not None
            and result.error.code in status.TRANSIENT_DOCUMENT
            and job.attempts < MAX_DOCUMENT_ATTEMPTS
        ):
            job.not_before = time.monotonic() + min(5.0, 0.2 * 2**job.attempts)
            self._feed.retry(job)
            self.retried += 1
            return
        self._on_answer(job, result)


async def _drain(outbox: asyncio.Queue[Document | None]) -> AsyncIterator[Document]:
    while (document := await outbox.get()) is not None:
        yield document


def _close(outbox: asyncio.Queue[Document | None]) -> None:
    """End the documents of a call that is over: gRPC's task reading them would wait forever."""
    while not outbox.empty():
        outbox.get_nowait()
    outbox.put_nowait(None)


def _broken(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    """A call failure the client detected itself, handled like one reported by gRPC."""
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)
