"""The blocking client."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType

from ner_client import _convert
from ner_client._channel import DEFAULT_STREAM_TIMEOUT, DEFAULT_TIMEOUT, open_channel
from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_client.types import Document, DocumentResult, Entity, ModelInfo


class NerClient:
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
        self._channel = open_channel(target, tls, id_token, asyncio=False)
        self._stub = ner_pb2_grpc.NerServiceStub(self._channel)
        self.timeout = timeout
        self.stream_timeout = stream_timeout

    def extract(self, text: str, labels: Sequence[str] = (), *, timeout: float | None = None) -> list[Entity]:
        request = ner_pb2.ExtractEntitiesRequest(text=text, labels=list(labels))
        response = self._stub.ExtractEntities(request, timeout=timeout or self.timeout)
        return _convert.entities(response.entities)

    def extract_batch(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[DocumentResult]:
        request = ner_pb2.BatchExtractEntitiesRequest(
            documents=_convert.documents(texts), labels=list(labels)
        )
        response = self._stub.BatchExtractEntities(request, timeout=timeout or self.timeout)
        return [_convert.document_result(result) for result in response.results]

    def stream(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> Iterator[DocumentResult]:
        """Results in input order; bare strings get their position as id."""
        requests = (_convert.stream_request(item, index, labels) for index, item in enumerate(texts))
        responses = self._stub.StreamExtractEntities(requests, timeout=timeout or self.stream_timeout)
        for response in responses:
            yield _convert.document_result(response.result)

    def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        response = self._stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=timeout or self.timeout)
        return _convert.model_info(response)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> NerClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
