"""The asyncio client."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable, Sequence
from types import TracebackType

from ner_client import _convert
from ner_client._base import BaseClient
from ner_client.bulk.engine import tag_all
from ner_client.bulk.settings import BulkSettings
from ner_client.bulk.watch import Watcher
from ner_client.proto import ner_pb2
from ner_client.types import Document, DocumentResult, Entity, ModelInfo


class AsyncNerClient(BaseClient):
    __doc__ = BaseClient.__doc__
    _asyncio = True

    async def extract(
        self, text: str, labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[Entity]:
        request = ner_pb2.ExtractEntitiesRequest(text=text, labels=list(labels))
        with self._explaining():
            response = await self._stub.ExtractEntities(request, timeout=self._deadline(timeout))
        return _convert.entities(response.entities)

    async def extract_batch(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[DocumentResult]:
        request = _convert.batch_request(texts, labels)
        with self._explaining():
            response = await self._stub.BatchExtractEntities(request, timeout=self._deadline(timeout))
        return [_convert.document_result(result) for result in response.results]

    async def stream(
        self,
        texts: Iterable[str | Document] | AsyncIterable[str | Document],
        labels: Sequence[str] = (),
        *,
        timeout: float | None = None,
    ) -> AsyncGenerator[DocumentResult]:
        """Results in input order; bare strings get their position as id.

        A broken call raises `grpc.aio.AioRpcError`; leaving the loop early (or `aclose()`)
        cancels the call.
        """
        requests = _stream_requests(texts, labels)
        responses = self._stub.StreamExtractEntities(requests, timeout=self._stream_deadline(timeout))
        try:
            with self._explaining():
                async for response in responses:
                    yield _convert.document_result(response.result)
        finally:
            responses.cancel()

    async def tag_all(
        self,
        documents: Iterable[str | Document] | AsyncIterable[str | Document],
        labels: Sequence[str] = (),
        settings: BulkSettings | None = None,
        watcher: Watcher | None = None,
    ) -> AsyncIterator[DocumentResult]:
        """Every document's result, in input order, however many there are: `ner-tag`'s engine.

        Parallel streams (`settings.streams`), each ended cleanly and replaced every
        `settings.stream_seconds` so a load balancer spreads them over instances; a broken call is
        made again and only its unanswered documents are resent. Waits for the service first.
        A target that cannot be reached is logged (logger `ner_client.bulk`, WARNING) at the
        first failed attempt, with the reason, or told to `watcher`. Raises
        `ner_client.bulk.ConnectionFailed` after `settings.retry_budget` seconds without
        progress. A plain iterable is read on the event loop: give a pipe or other slow source
        as an async iterable.
        """
        async for result in tag_all(self, documents, labels, settings, watcher):
            yield result

    async def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        with self._explaining():
            response = await self._stub.GetModelInfo(
                ner_pb2.GetModelInfoRequest(), timeout=self._deadline(timeout)
            )
        return _convert.model_info(response)

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> AsyncNerClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()


async def _stream_requests(
    texts: Iterable[str | Document] | AsyncIterable[str | Document], labels: Sequence[str]
) -> AsyncIterator[ner_pb2.StreamExtractEntitiesRequest]:
    if isinstance(texts, AsyncIterable):
        index = 0
        async for item in texts:
            yield _convert.stream_request(item, index, labels)
            index += 1
    else:
        for index, item in enumerate(texts):
            yield _convert.stream_request(item, index, labels)
