"""The resilient streams: each keeps one StreamExtractEntities call going until the input runs out.

A stream takes jobs from the shared `Feed`, keeps at most `window` of them in flight, and pairs
each response with the oldest job in flight (the server answers in input order). When the call
breaks (UNAVAILABLE, a restarted server, GOAWAY, a stream deadline, CANCELLED by the server) the
jobs still in flight are kept; the stream reconnects with backoff and sends exactly those again
before taking new ones. A job leaves a stream only when its answer has been read, so no document
is lost, and an answer is accepted once, so none is repeated.

A document answered with a transient per-document error (its worker died, the server was
overloaded or shutting down) goes back to the feed, ahead of new documents, a few times.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc

from ner_client._channel import audience_of, channel_options, credentials, parse_target
from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_client.tag.inputs import InputDocument

#: Stream failures worth reconnecting for. Anything else (UNAUTHENTICATED, UNIMPLEMENTED...) is fatal.
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)
#: Per-document error codes that mean "try again later", not "this document is bad".
TRANSIENT_CODES = frozenset(
    code.value[0]
    for code in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
    )
)
MAX_DOCUMENT_ATTEMPTS = 5
#: The streams resend unanswered documents themselves, so gRPC's transparent retries (which
#: replay a call's messages behind our back) are off. Reconnect quickly: gRPC's own default
#: backoff grows to two minutes.
_REPLACED_OPTIONS = ("grpc.service_config", "grpc.enable_retries")
STREAM_CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 0),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
]


_NEW, _RETRY, _END = 1, 0, 2


class ConnectionFailed(Exception):
    """No stream could make progress for the whole retry budget, or the server refused outright."""


@dataclass(slots=True)
class Job:
    """A document on its way: its place in the input and how often it has been tried."""

    sequence: int
    document: InputDocument
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


def open_channel(target: str, tls: bool | None, id_token: bool) -> grpc.aio.Channel:
    where = parse_target(target, tls)
    secure = credentials(where, audience_of(target) if id_token else None)
    options = [
        option for option in channel_options() if option[0] not in _REPLACED_OPTIONS
    ] + STREAM_CHANNEL_OPTIONS
    if secure is None:
        return grpc.aio.insecure_channel(where.address, options=options)
    return grpc.aio.secure_channel(where.address, secure, options=options)


class Backoff:
    """Exponential backoff with jitter, and the retry budget: give up after `budget` s without progress."""

    def __init__(self, budget: float, first: float = 0.1, most: float = 5.0) -> None:
        self.budget, self.first, self.most = budget, first, most
        self.failures = 0
        self.failing_since: float | None = None

    def progressed(self) -> None:
        self.failures = 0
        self.failing_since = None

    async def wait(self, error: grpc.aio.AioRpcError) -> None:
        now = time.monotonic()
        self.failing_since = self.failing_since or now
        if now - self.failing_since > self.budget:
            raise ConnectionFailed(f"gave up after {self.budget:g} s: {error.code().name}: {error.details()}")
        delay = min(self.most, self.first * 2**self.failures) * random.uniform(0.5, 1.0)
        self.failures += 1
        await asyncio.sleep(delay)


async def wait_for_service(channel: grpc.aio.Channel, budget: float) -> ner_pb2.GetModelInfoResponse:
    """GetModelInfo, retried while the server is unreachable or still loading its model."""
    stub = ner_pb2_grpc.NerServiceStub(channel)
    backoff = Backoff(budget)
    while True:
        try:
            return await stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30)
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRYABLE:
                raise ConnectionFailed(f"{error.code().name}: {error.details()}") from error
            await backoff.wait(error)


OnAnswer = Callable[[Job, ner_pb2.DocumentEntities], None]
OnNotice = Callable[[str], None]


class Stream:
    """One bidirectional call at a time, reconnected until the feed is drained and all is answered."""

    def __init__(
        self,
        name: str,
        channel: grpc.aio.Channel,
        feed: Feed,
        on_answer: OnAnswer,
        *,
        labels: Sequence[str] = (),
        window: int = 32,
        stream_timeout: float = 3600.0,
        retry_budget: float = 120.0,
        notice: OnNotice = lambda message: None,
    ) -> None:
        self.name = name
        self._stub = ner_pb2_grpc.NerServiceStub(channel)
        self._feed = feed
        self._on_answer = on_answer
        self._labels = list(labels)
        self._window = window
        self._timeout = stream_timeout
        self._backoff = Backoff(retry_budget)
        self._notice = notice
        self._in_flight: deque[Job] = deque()
        self._room = asyncio.Event()
        self.reconnects = 0

    async def run(self) -> None:
        while True:
            try:
                await self._one_call()
            except grpc.aio.AioRpcError as error:
                if error.code() not in RETRYABLE:
                    raise ConnectionFailed(f"{error.code().name}: {error.details()}") from error
                if self._backoff.failing_since is None:
                    self._notice(
                        f"stream {self.name} broke ({error.code().name}: {error.details()}); "
                        f"reconnecting, {len(self._in_flight)} documents to resend"
                    )
                self.reconnects += 1
                if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED or self._backoff.failures:
                    await self._backoff.wait(error)
                continue
            if not self._in_flight and self._feed.drained:
                return

    async def _one_call(self) -> None:
        """Run one call until it ends. Raises AioRpcError when it breaks with documents unanswered."""
        call = self._stub.StreamExtractEntities(timeout=self._timeout)
        sender = asyncio.create_task(self._send(call))
        try:
            while (response := await call.read()) is not grpc.aio.EOF:
                self._answer(response.result)
            if self._in_flight:
                raise grpc.aio.AioRpcError(
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.aio.Metadata(),
                    grpc.aio.Metadata(),
                    details=f"the stream ended with {len(self._in_flight)} documents unanswered",
                )
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            call.cancel()

    async def _send(self, call: grpc.aio.StreamStreamCall) -> None:  # type: ignore[type-arg]
        try:
            for job in list(self._in_flight):  # unanswered on the last call: they stay in flight
                await call.write(self._request(job))
            while True:
                while len(self._in_flight) >= self._window:
                    self._room.clear()
                    await self._room.wait()
                job = await self._feed.get()
                if job is None:
                    break
                self._in_flight.append(job)  # before any await: a broken call resends it
                if (delay := job.not_before - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
                await call.write(self._request(job))
            await call.done_writing()
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            return  # the call is over; its reader reports why

    def _request(self, job: Job) -> ner_pb2.StreamExtractEntitiesRequest:
        document = ner_pb2.Document(id=job.document.id, text=job.document.text)
        return ner_pb2.StreamExtractEntitiesRequest(document=document, labels=self._labels)

    def _answer(self, result: ner_pb2.DocumentEntities) -> None:
        if not self._in_flight:
            raise ConnectionFailed(f"stream {self.name}: an answer for {result.id!r} that nothing awaits")
        job = self._in_flight.popleft()
        self._room.set()
        if result.id != job.document.id:
            raise ConnectionFailed(
                f"stream {self.name}: answer for {result.id!r}, expected {job.document.id!r}"
            )
        if self._backoff.failing_since is not None:
            self._notice(
                f"stream {self.name} is back after {time.monotonic() - self._backoff.failing_since:.1f} s"
            )
        self._backoff.progressed()
        job.attempts += 1
        if (
            result.HasField("error")
            and result.error.code in TRANSIENT_CODES
            and job.attempts < MAX_DOCUMENT_ATTEMPTS
        ):
            job.not_before = time.monotonic() + min(5.0, 0.2 * 2**job.attempts)
            self._feed.retry(job)
            return
        self._on_answer(job, result)
