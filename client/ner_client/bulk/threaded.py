"""The blocking face of the bulk engine: `NerClient.tag_all` runs it on an event loop in a thread.

The thread owns its own `AsyncNerClient` (the blocking client's target, TLS, PEM files and ID
token), made by the factory the blocking client hands over, and hands results over through a
bounded queue, so a slow consumer holds the engine back instead of piling results up. Leaving the
loop early cancels the job and waits for the thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from ner_client.bulk.engine import tag_all
from ner_client.bulk.needs import StreamingClient
from ner_client.bulk.settings import BulkSettings
from ner_client.types import Document, DocumentResult

#: Makes the thread's own asyncio client, on the thread's event loop, closed when the job ends.
ClientFactory = Callable[[], AbstractAsyncContextManager[StreamingClient]]

__all__ = ["tag_all_in_thread"]


@dataclass(frozen=True, slots=True)
class _Ended:
    """The last thing the thread puts on the queue: None when every result was handed over."""

    error: BaseException | None = None


class _Job:
    def __init__(
        self,
        make_client: ClientFactory,
        documents: Iterable[str | Document],
        labels: Sequence[str],
        settings: BulkSettings,
    ) -> None:
        self.make_client, self.documents = make_client, documents
        self.labels, self.settings = labels, settings
        self.results: queue.Queue[DocumentResult | _Ended] = queue.Queue(maxsize=settings.buffer_size)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[None] | None = None
        self.thread = threading.Thread(target=self._run, name="ner-tag-all", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._pump())
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            self.results.put(_Ended(error))
        else:
            self.results.put(_Ended())

    async def _pump(self) -> None:
        self.loop, self.task = asyncio.get_running_loop(), asyncio.current_task()
        async with self.make_client() as aio:
            async for result in tag_all(aio, self.documents, self.labels, self.settings):
                try:
                    self.results.put_nowait(result)
                except queue.Full:
                    await asyncio.to_thread(self.results.put, result)

    def stop(self) -> None:
        """Cancel the job if it still runs, and wait for the thread, unblocking its last puts."""
        while self.thread.is_alive():
            if self.loop is not None and self.task is not None:
                self.loop.call_soon_threadsafe(self.task.cancel)
            try:
                self.results.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()


def tag_all_in_thread(
    make_client: ClientFactory,
    documents: Iterable[str | Document],
    labels: Sequence[str] = (),
    settings: BulkSettings | None = None,
) -> Iterator[DocumentResult]:
    job = _Job(make_client, documents, labels, settings or BulkSettings())
    job.thread.start()
    try:
        while not isinstance(result := job.results.get(), _Ended):
            yield result
        if result.error is not None:
            raise result.error
    finally:
        job.stop()
