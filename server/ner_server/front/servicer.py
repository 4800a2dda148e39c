"""NerService in the front: routes serialized documents to the batcher and answers come back
serialized. Never parses a document it sends on, never calls spaCy (`worker.runner` does, in a worker).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from ner_client.proto import ner_pb2

from ner_server.front import convert
from ner_server.front.batcher import Batcher
from ner_server.front.settings import Settings
from ner_server.shared.errors import MALFORMED, InvalidArgument, NerError, Overloaded, Unavailable, error_from
from ner_server.shared.messages import JobKind, Outcome, Refused
from ner_server.shared.model_info import ModelInfo
from ner_server.shared.validation import check_batch_size, check_text, label_filter

_END = object()


class NerServicer:
    """The four NerService methods; every request and response is bytes (see `registration`)."""

    def __init__(self, settings: Settings, batcher: Batcher, model: asyncio.Future[ModelInfo]) -> None:
        self._settings = settings
        self._batcher = batcher
        self._model = model
        self._readers: set[asyncio.Task[None]] = set()
        self._model_info: bytes | None = None
        self._streams_by_peer: dict[str, int] = {}

    async def ExtractEntities(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        self._loaded()
        [result] = self._batcher.submit(JobKind.CALL, (request,), _deadline(context))
        outcome = await result
        if isinstance(outcome, Refused):
            raise error_from(outcome.code, outcome.field, outcome.description)
        return outcome

    async def BatchExtractEntities(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        info = self._loaded()
        batch = _parse(ner_pb2.BatchExtractEntitiesRequest, request)
        label_filter(batch.labels, info.labels)
        documents = batch.documents
        check_batch_size(len(documents), "documents", self._settings.max_batch_documents)
        for index, document in enumerate(documents):
            check_text(document.text, f"documents[{index}].text", self._settings.max_text_chars)
        requests = [convert.document_request(document, batch.labels) for document in documents]
        results = self._batcher.submit(JobKind.DOCUMENT, requests, _deadline(context))
        try:
            return convert.batch_response(
                [await _document_answer(one, result) for one, result in zip(requests, results, strict=True)]
            )
        finally:
            for result in results:
                result.cancel()

    async def StreamExtractEntities(
        self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        self._loaded()
        peer = context.peer()
        open_streams = self._streams_by_peer.get(peer, 0)
        if open_streams >= self._settings.max_streams_per_connection:
            raise Overloaded(
                f"this connection has {open_streams} streams open, the most allowed; "
                "finish one or open another connection"
            )
        self._streams_by_peer[peer] = open_streams + 1
        # At most `stream_read_ahead` documents are read ahead of the answers sent; the queue itself
        # is unbounded so the reader can always leave a final marker in it.
        slots = asyncio.Semaphore(self._settings.stream_read_ahead)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        reader = asyncio.create_task(self._read_stream(requests, _deadline(context), slots, queue))
        self._readers.add(reader)
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                request, result = item
                yield await _document_answer(request, result)
                slots.release()
        finally:
            if (left := self._streams_by_peer.pop(peer) - 1) > 0:
                self._streams_by_peer[peer] = left
            self._readers.discard(reader)
            reader.cancel()
            while not queue.empty():
                item = queue.get_nowait()
                if isinstance(item, tuple):
                    item[1].cancel()

    def stop_reading_streams(self) -> None:
        """Shutting down: open streams read no more documents, answer what they hold, then end
        with UNAVAILABLE so clients resend the rest elsewhere."""
        for reader in self._readers:
            reader.cancel()

    async def GetModelInfo(self, request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        info = self._loaded()
        _parse(ner_pb2.GetModelInfoRequest, request)
        if self._model_info is None:
            self._model_info = convert.model_info(info, self._settings).SerializeToString()
        return self._model_info

    async def _read_stream(
        self,
        requests: AsyncIterator[bytes],
        deadline: float | None,
        slots: asyncio.Semaphore,
        queue: asyncio.Queue[Any],
    ) -> None:
        iterator = aiter(requests)
        try:
            while True:
                await slots.acquire()
                request = await anext(iterator, None)
                if request is None:
                    break
                result = await self._batcher.submit_when_room(JobKind.DOCUMENT, request, deadline)
                queue.put_nowait((request, result))
            queue.put_nowait(_END)
        except asyncio.CancelledError:
            queue.put_nowait(Unavailable("the server is shutting down; resend the documents not answered"))
        except Exception as error:  # noqa: BLE001 - handed to the writer, which maps it to a status
            queue.put_nowait(error)

    def _loaded(self) -> ModelInfo:
        if not self._model.done() or self._model.exception() is not None:
            raise Unavailable("the model is still loading; retry once the health check reports SERVING")
        return self._model.result()


async def _document_answer(request: bytes, result: asyncio.Future[Outcome]) -> bytes:
    """A serialized StreamExtractEntitiesResponse: the worker's, or one with the error that kept
    the document from a worker."""
    try:
        outcome = await result
    except NerError as error:
        return convert.failed_document(request, error)
    assert not isinstance(outcome, Refused)  # document jobs are always answered
    return outcome


def _parse[Message](message_type: type[Message], request: bytes) -> Message:
    try:
        return message_type.FromString(request)  # type: ignore[attr-defined, no-any-return]
    except DecodeError as error:
        raise InvalidArgument("request", MALFORMED) from error


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    remaining: float | None = context.time_remaining()
    if remaining is None:
        return None
    return asyncio.get_running_loop().time() + remaining
