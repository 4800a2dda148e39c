"""Where the workers connect, and the connection each worker process makes once.

`ConnectionSettings` is what the pipeline carries to its workers (it pickles: plain values and
file paths). `Connection` is made in the worker, never pickled: one channel, shared by every
thread of the process, with the same options as the client's (TLS files, an ID token from the
worker's own service account) and gRPC's own retries off, since the handler resends by itself.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from ner_client import status
from ner_client._channel import TlsFiles, open_channel
from ner_client.proto import ner_pb2, ner_pb2_grpc


class ServiceUnreachable(Exception):
    """The service answered no call for the whole retry budget, or refused the job outright."""


@dataclass(frozen=True)
class ConnectionSettings:
    """`target`: `host:port` or `https://NAME-HASH.REGION.run.app`. `ca_file`, `cert_file` and
    `key_file` (PEM) mean TLS, as in `NerClient`; `id_token` sends a Google ID token of the
    worker's service account (needs the `auth` extra). A call that gets no answer in `timeout`
    seconds is tried again; `retry_budget` seconds without any answer fail the pipeline."""

    target: str
    tls: bool | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    id_token: bool = False
    timeout: float = 60.0
    retry_budget: float = 120.0


class Connection:
    """One channel to the service and its stub; what RunInference calls the model."""

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        files = TlsFiles(settings.ca_file, settings.cert_file, settings.key_file)
        self._channel = open_channel(
            settings.target, settings.tls, settings.id_token, asyncio=False, retries=False, tls_files=files
        )
        self._stub = ner_pb2_grpc.NerServiceStub(self._channel)

    def batch(
        self, documents: Sequence[tuple[str, str]], labels: Sequence[str]
    ) -> ner_pb2.BatchExtractEntitiesResponse:
        request = ner_pb2.BatchExtractEntitiesRequest(
            documents=[ner_pb2.Document(id=id, text=text) for id, text in documents], labels=list(labels)
        )
        response: ner_pb2.BatchExtractEntitiesResponse = self._stub.BatchExtractEntities(
            request, timeout=self.settings.timeout
        )
        return response


class Backoff:
    """Exponential backoff with jitter within the retry budget: `ServiceUnreachable` once nothing
    has been answered for `retry_budget` seconds, or at once for a failure not worth another try."""

    def __init__(self, settings: ConnectionSettings, first: float = 0.1, most: float = 5.0) -> None:
        self.settings, self.first, self.most = settings, first, most
        self.failures = 0
        self.failing_since: float | None = None

    def progressed(self) -> None:
        self.failures = 0
        self.failing_since = None

    def wait(self, code: grpc.StatusCode, details: str) -> None:
        where = f"ner.v1.NerService at {self.settings.target}"
        if code not in status.RETRYABLE_CALL:
            raise ServiceUnreachable(f"{where} refused the job: {code.name}: {details}") from None
        now = time.monotonic()
        self.failing_since = self.failing_since or now
        if now - self.failing_since >= self.settings.retry_budget:
            raise ServiceUnreachable(
                f"{where} answered nothing for {self.settings.retry_budget:g} s "
                f"(the retry budget): {code.name}: {details}"
            ) from None
        delay = min(self.most, self.first * 2**self.failures) * random.uniform(0.5, 1.0)
        left = self.settings.retry_budget - (now - self.failing_since)
        self.failures += 1
        time.sleep(max(0.0, min(delay, left)))
