"""The asyncio client."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from types import TracebackType

from ner_client import _convert
from ner_client._channel import DEFAULT_STREAM_TIMEOUT, DEFAULT_TIMEOUT, open_channel
from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_client.types import Document, DocumentResult, Entity, ModelInfo


class AsyncNerClient:
    """Calls ner.v1.NerService. Every call has a deadline (`timeout` seconds unless given).

    `target` is `host:port` or a URL such as `https://NAME-HASH.REGION.run.app` (TLS on 443).
    `id_token=True` sends a Google ID token for the target (private Cloud Run services).
    """

    def __init__(
        self,
        target: str = "localhost:50051",
        *,
        tls: bool | None = None,
        id_token: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        stream_timeout: float = DEFAULT_STREAM_TIMEOUT,
    ) -> None:
        self._channel = open_channel(target, tls, id_token, asyncio=True)
        self._stub = ner_pb2_grpc.NerServiceStub(self._channel)
        self.timeout = timeout
        self.stream_timeout = stream_timeout

    async def extract(
        self, text: str, labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[Entity]:
        request = ner_pb2.ExtractEntitiesRequest(text=text, labels=list(labels))
        response = await self._stub.ExtractEntities(request, timeout=timeout or self.timeout)
        return _convert.entities(response.entities)

    async def extract_batch(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[DocumentResult]:
        request = ner_pb2.BatchExtractEntitiesRequest(
            documents=_convert.documents(texts), labels=list(labels)
        )
        response = await self._stub.BatchExtractEntities(request, timeout=timeout or self.timeout)
        return [_convert.document_result(result) for result in response.results]

    async def stream(
        self,
        texts: Iterable[str | Document] | AsyncIterable[str | Document],
        labels: Sequence[str] = (),
        *,
        timeout: float | None = None,
    ) -> AsyncIterator[DocumentResult]:
        """Results in input order; bare strings get their position as id."""
        requests = _stream_requests(texts, labels)
        responses = self._stub.StreamExtractEntities(requests, timeout=timeout or self.stream_timeout)
        async for response in responses:
            yield _convert.document_result(response.result)

    async def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        response = await self._stub.GetModelInfo(
            ner_pb2.GetModelInfoRequest(), timeout=timeout or self.timeout
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
