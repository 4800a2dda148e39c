"""The bulk engine: any number of documents through parallel, rolling, self-healing streams, in order.

`Engine.results` takes items (an iterable or async iterable), turns each into a `Document` (or a
ready `DocumentResult` for an item that cannot be sent) and yields `(item, result)` in input
order. `tag_all` is the same for plain documents; `AsyncNerClient.tag_all`, `NerClient.tag_all`
and `ner-tag` all go through here.

Memory is bounded: the reader takes a slot of `buffer` for every item it hands out, and a slot is
given back once its result has been yielded, so items queued, in flight and held for reordering
never exceed `buffer`, however long the input.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence

import grpc

from ner_client._convert import as_document
from ner_client.bulk.failures import ConnectionFailed
from ner_client.bulk.needs import StreamingClient
from ner_client.bulk.retry import wait_for_service
from ner_client.bulk.settings import BulkSettings
from ner_client.bulk.streams import Feed, Job, Stream
from ner_client.bulk.watch import LogWatcher, Watcher
from ner_client.types import Document, DocumentError, DocumentResult

__all__ = ["Engine", "tag_all"]

#: Room left in a request message for everything but the text.
_MESSAGE_OVERHEAD = 4096
#: Marks the end of the results.
_DONE = object()


class Engine[T]:
    """One bulk job: reader, feed, streams, and the results put back in input order."""

    def __init__(
        self,
        client: StreamingClient,
        settings: BulkSettings,
        labels: Sequence[str] = (),
        max_message_bytes: int = 0,
        watcher: Watcher | None = None,
    ) -> None:
        self.settings = settings
        self.max_bytes = max(0, max_message_bytes - _MESSAGE_OVERHEAD)
        self.feed = Feed()
        self.streams = [
            Stream(
                str(number),
                client,
                self.feed,
                self._on_answer,
                labels=labels,
                window=settings.window,
                stream_timeout=settings.stream_timeout,
                retry_budget=settings.retry_budget,
                rollover=settings.rollover,
                watcher=watcher,
            )
            for number in range(1, settings.streams + 1)
        ]
        self._slots = asyncio.Semaphore(settings.buffer_size)
        self._done: dict[int, tuple[T, DocumentResult]] = {}
        self._next = 0
        self._ready: asyncio.Queue[object] = asyncio.Queue()

    @property
    def reconnects(self) -> int:
        return sum(stream.reconnects for stream in self.streams)

    @property
    def retried(self) -> int:
        return sum(stream.retried for stream in self.streams)

    @property
    def rollovers(self) -> int:
        return sum(stream.rollovers for stream in self.streams)

    async def results(
        self,
        items: Iterable[T] | AsyncIterable[T],
        prepare: Callable[[T, int], Document | DocumentResult],
    ) -> AsyncIterator[tuple[T, DocumentResult]]:
        """`(item, result)` in input order. `prepare(item, position)` gives the document to send,
        or the result of an item that is not sent. Raises `ConnectionFailed` when the service
        cannot be reached for the whole retry budget; leaving the loop early cancels the job."""
        work = asyncio.create_task(self._work(items, prepare))
        try:
            while (ready := await self._ready.get()) is not _DONE:
                if isinstance(ready, BaseException):
                    raise ready
                yield ready  # type: ignore[misc]
                self._slots.release()
        finally:
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)

    async def _work(
        self,
        items: Iterable[T] | AsyncIterable[T],
        prepare: Callable[[T, int], Document | DocumentResult],
    ) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read(items, prepare))
                for stream in self.streams:
                    group.create_task(stream.run())
        except ExceptionGroup as failed:
            connection = failed.subgroup(ConnectionFailed)
            self._ready.put_nowait(connection.exceptions[0] if connection else failed.exceptions[0])
            return
        self._ready.put_nowait(_DONE)

    async def _read(
        self,
        items: Iterable[T] | AsyncIterable[T],
        prepare: Callable[[T, int], Document | DocumentResult],
    ) -> None:
        sequence = 0
        async for item in _each(items):
            await self._slots.acquire()
            prepared = prepare(item, sequence)
            if isinstance(prepared, Document):
                prepared = self._too_large(prepared) or prepared
            if isinstance(prepared, DocumentResult):
                self._finish(sequence, item, prepared)
            else:
                self.feed.put(Job(sequence, prepared, item))
            sequence += 1
        self.feed.end()

    def _too_large(self, document: Document) -> DocumentResult | None:
        """A document the server would refuse as a whole message; it would break its stream."""
        if not self.max_bytes or len(document.text) * 4 <= self.max_bytes:
            return None
        size = len(document.text.encode("utf-8"))
        if size <= self.max_bytes:
            return None
        message = f"{size} bytes of text; the server takes messages up to {self.max_bytes} bytes"
        return DocumentResult(document.id, (), DocumentError(grpc.StatusCode.INVALID_ARGUMENT, message))

    def _on_answer(self, job: Job, result: DocumentResult) -> None:
        self._finish(job.sequence, job.item, result)

    def _finish(self, sequence: int, item: T, result: DocumentResult) -> None:
        self._done[sequence] = (item, result)
        while (ready := self._done.pop(self._next, None)) is not None:
            self._ready.put_nowait(ready)
            self._next += 1


async def tag_all(
    client: StreamingClient,
    documents: Iterable[str | Document] | AsyncIterable[str | Document],
    labels: Sequence[str] = (),
    settings: BulkSettings | None = None,
    watcher: Watcher | None = None,
) -> AsyncIterator[DocumentResult]:
    """Every document's result, in input order; a bare string gets its position as id.

    Waits for the service (up to the retry budget) before the first document. What goes wrong
    on the way (the target cannot be reached, a stream broke) goes to `watcher`, by default the
    logger `ner_client.bulk`.
    """
    settings = settings or BulkSettings()
    watcher = watcher or LogWatcher()
    info = await wait_for_service(client, settings.retry_budget, watcher)
    engine: Engine[str | Document] = Engine(client, settings, labels, info.limits.max_message_bytes, watcher)
    async for _, result in engine.results(documents, as_document):
        yield result


async def _each[T](items: Iterable[T] | AsyncIterable[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
