"""A blocking iterator (stdin) read for asyncio on a daemon thread of its own.

`asyncio.to_thread` would do the reading, but its threads are joined when the event loop and the
interpreter end: a run cancelled (SIGTERM, Ctrl-C) while a pipe is still open would wait for the
pipe's writer. A daemon thread is not waited for. One item is read per request, so nothing is
read ahead of the engine's own bounded buffer.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Iterator

_END = object()


async def read_in_background[T](items: Iterator[T]) -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    requests: queue.SimpleQueue[asyncio.Future[object]] = queue.SimpleQueue()

    def serve() -> None:
        while True:
            future = requests.get()
            try:
                item: object = next(items, _END)
            except BaseException as error:  # noqa: BLE001 - raised in the reading task
                loop.call_soon_threadsafe(_fail, future, error)
                return
            loop.call_soon_threadsafe(_give, future, item)
            if item is _END:
                return

    threading.Thread(target=serve, name="ner-tag-stdin", daemon=True).start()
    while True:
        future: asyncio.Future[object] = loop.create_future()
        requests.put(future)
        item = await future
        if item is _END:
            return
        yield item  # type: ignore[misc]


def _give(future: asyncio.Future[object], item: object) -> None:
    if not future.done():
        future.set_result(item)


def _fail(future: asyncio.Future[object], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
