"""NerService: protobuf in, domain calls, protobuf out. Never calls spaCy itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
from ner_client.proto import ner_pb2, ner_pb2_grpc

from ner_server import convert
from ner_server.batcher import Batcher
from ner_server.errors import (
    InferenceFailed,
    InvalidArgument,
    NerError,
    Unavailable,
    maps_errors,
    maps_stream_errors,
)
from ner_server.handlers import MalformedRequest
from ner_server.model import EntityRecord, ModelInfo
from ner_server.settings import Settings
from ner_server.validation import check_batch_size, check_text, label_filter

Pb = ner_pb2
_END = object()


class NerServicer(ner_pb2_grpc.NerServiceServicer):
    def __init__(self, settings: Settings, batcher: Batcher, model: asyncio.Future[ModelInfo]) -> None:
        self._settings = settings
        self._batcher = batcher
        self._model = model
        self._readers: set[asyncio.Task[None]] = set()

    @maps_errors
    async def ExtractEntities(
        self, request: Pb.ExtractEntitiesRequest, context: grpc.aio.ServicerContext
    ) -> Pb.ExtractEntitiesResponse:
        labels = label_filter(request.labels, self._loaded().labels)
        check_text(request.text, "text", self._settings.max_text_chars)
        [result] = self._batcher.submit([request.text], _deadline(context))
        return Pb.ExtractEntitiesResponse(entities=convert.entities(await result, labels))

    @maps_errors
    async def BatchExtractEntities(
        self, request: Pb.BatchExtractEntitiesRequest, context: grpc.aio.ServicerContext
    ) -> Pb.BatchExtractEntitiesResponse:
        labels = label_filter(request.labels, self._loaded().labels)
        documents = request.documents
        check_batch_size(len(documents), "documents", self._settings.max_batch_documents)
        for index, document in enumerate(documents):
            check_text(document.text, f"documents[{index}].text", self._settings.max_text_chars)
        results = self._batcher.submit([document.text for document in documents], _deadline(context))
        try:
            answers = []
            for document, result in zip(documents, results, strict=True):
                try:
                    records = await result
                except InferenceFailed as error:
                    answers.append(Pb.DocumentEntities(id=document.id, error=convert.document_error(error)))
                else:
                    answers.append(
                        Pb.DocumentEntities(id=document.id, entities=convert.entities(records, labels))
                    )
            return Pb.BatchExtractEntitiesResponse(results=answers)
        finally:
            for result in results:
                result.cancel()

    @maps_stream_errors
    async def StreamExtractEntities(
        self, requests: AsyncIterator[Pb.StreamExtractEntitiesRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Pb.StreamExtractEntitiesResponse]:
        info = self._loaded()
        # At most `stream_window` documents are read ahead of the answers sent; the queue itself
        # is unbounded so the reader can always leave a final marker in it.
        slots = asyncio.Semaphore(self._settings.stream_window)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        reader = asyncio.create_task(self._read_stream(requests, info, _deadline(context), slots, queue))
        self._readers.add(reader)
        try:
            while (item := await queue.get()) is not _END:
                if isinstance(item, BaseException):
                    raise item
                document_id, labels, outcome = item
                result = await _document_entities(document_id, labels, outcome)
                yield Pb.StreamExtractEntitiesResponse(result=result)
                slots.release()
        finally:
            self._readers.discard(reader)
            reader.cancel()
            while not queue.empty():
                item = queue.get_nowait()
                if isinstance(item, tuple) and isinstance(item[2], asyncio.Future):
                    item[2].cancel()

    def stop_reading_streams(self) -> None:
        """Shutting down: open streams read no more documents, answer what they hold, then end
        with UNAVAILABLE so clients resend the rest elsewhere."""
        for reader in self._readers:
            reader.cancel()

    @maps_errors
    async def GetModelInfo(
        self, request: Pb.GetModelInfoRequest, context: grpc.aio.ServicerContext
    ) -> Pb.GetModelInfoResponse:
        return convert.model_info(self._loaded(), self._settings)

    async def _read_stream(
        self,
        requests: AsyncIterator[Pb.StreamExtractEntitiesRequest],
        info: ModelInfo,
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
                queue.put_nowait(await self._start_document(request, info, deadline))
            queue.put_nowait(_END)
        except asyncio.CancelledError:
            queue.put_nowait(Unavailable("the server is shutting down; resend the documents not answered"))
        except Exception as error:  # noqa: BLE001 - handed to the writer, which maps it to a status
            queue.put_nowait(error)

    async def _start_document(
        self,
        request: Pb.StreamExtractEntitiesRequest | MalformedRequest,
        info: ModelInfo,
        deadline: float | None,
    ) -> tuple[str, frozenset[str] | None, asyncio.Future[list[EntityRecord]] | NerError]:
        if isinstance(request, MalformedRequest):
            return "", None, InvalidArgument("document", request.reason)
        labels = None
        try:
            labels = label_filter(request.labels, info.labels)
            check_text(request.document.text, "document.text", self._settings.max_text_chars)
            outcome = await self._batcher.submit_when_room(request.document.text, deadline)
        except NerError as error:
            return request.document.id, labels, error
        return request.document.id, labels, outcome

    def _loaded(self) -> ModelInfo:
        if not self._model.done() or self._model.exception() is not None:
            raise Unavailable("the model is still loading; retry once the health check reports SERVING")
        return self._model.result()


async def _document_entities(
    document_id: str,
    labels: frozenset[str] | None,
    outcome: asyncio.Future[list[EntityRecord]] | NerError,
) -> Pb.DocumentEntities:
    try:
        if isinstance(outcome, NerError):
            raise outcome
        records = await outcome
    except NerError as error:
        return Pb.DocumentEntities(id=document_id, error=convert.document_error(error))
    return Pb.DocumentEntities(id=document_id, entities=convert.entities(records, labels))


def _deadline(context: grpc.aio.ServicerContext) -> float | None:
    remaining: float | None = context.time_remaining()
    if remaining is None:
        return None
    return asyncio.get_running_loop().time() + remaining
