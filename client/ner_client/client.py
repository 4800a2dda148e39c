"""The blocking client."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType

from ner_client import _convert
from ner_client._base import BaseClient
from ner_client.aio import AsyncNerClient
from ner_client.bulk.settings import BulkSettings
from ner_client.bulk.threaded import tag_all_in_thread
from ner_client.proto import ner_pb2
from ner_client.types import Document, DocumentResult, Entity, ModelInfo


class NerClient(BaseClient):
    __doc__ = BaseClient.__doc__
    _asyncio = False

    def extract(self, text: str, labels: Sequence[str] = (), *, timeout: float | None = None) -> list[Entity]:
        request = ner_pb2.ExtractEntitiesRequest(text=text, labels=list(labels))
        with self._explaining():
            response = self._stub.ExtractEntities(request, timeout=self._deadline(timeout))
        return _convert.entities(response.entities)

    def extract_batch(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> list[DocumentResult]:
        request = _convert.batch_request(texts, labels)
        with self._explaining():
            response = self._stub.BatchExtractEntities(request, timeout=self._deadline(timeout))
        return [_convert.document_result(result) for result in response.results]

    def stream(
        self, texts: Iterable[str | Document], labels: Sequence[str] = (), *, timeout: float | None = None
    ) -> Iterator[DocumentResult]:
        """Results in input order; bare strings get their position as id.

        A broken call raises `grpc.RpcError`; leaving the loop early cancels the call.
        """
        requests = (_convert.stream_request(item, index, labels) for index, item in enumerate(texts))
        responses = self._stub.StreamExtractEntities(requests, timeout=self._stream_deadline(timeout))
        try:
            with self._explaining():
                for response in responses:
                    yield _convert.document_result(response.result)
        finally:
            responses.cancel()

    def tag_all(
        self,
        documents: Iterable[str | Document],
        labels: Sequence[str] = (),
        settings: BulkSettings | None = None,
    ) -> Iterator[DocumentResult]:
        """`AsyncNerClient.tag_all`, run on an event loop in a thread of its own (with its own
        channel to the same target); leaving the loop early stops it."""
        return tag_all_in_thread(self._async_twin, documents, labels, settings)

    def _async_twin(self) -> AsyncNerClient:
        """An asyncio client to the same target, with the same TLS files and ID token; gRPC
        retries nothing (the bulk engine resends by itself)."""
        files = self.tls_files
        return AsyncNerClient(
            self.target,
            tls=self.tls,
            id_token=self.id_token,
            retries=False,
            ca_file=files.ca_file,
            cert_file=files.cert_file,
            key_file=files.key_file,
        )

    def model_info(self, *, timeout: float | None = None) -> ModelInfo:
        with self._explaining():
            response = self._stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=self._deadline(timeout))
        return _convert.model_info(response)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> NerClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
