"""What the blocking and the asyncio client share: configuration, the channel, deadlines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from typing import Any, ClassVar

import grpc

from ner_client._channel import (
    DEFAULT_STREAM_TIMEOUT,
    DEFAULT_TIMEOUT,
    TlsFiles,
    open_channel,
    parse_target,
)
from ner_client.diagnosis import explained
from ner_client.proto import ner_pb2_grpc


class BaseClient:
    """Calls ner.v1.NerService. Every call has a deadline (`timeout` seconds unless given).

    `target` is `host:port` or a URL such as `https://NAME-HASH.REGION.run.app` (TLS on 443).
    `ca_file` (PEM CA certificates that sign the server's certificate, instead of the system's
    roots) and, for mutual TLS, `cert_file` and `key_file` (the client's PEM certificate chain
    and key) mean TLS; they are read when the client is made. `id_token=True` sends a Google ID
    token for the target (private Cloud Run services; needs the `auth` extra). `retries=False`
    is for a caller that resends by itself: gRPC retries nothing, and a lost connection is
    noticed and remade quickly (see `ner_client._channel`). A call that fails before reaching the
    server names the likely cause in its details where gRPC's text tells it (`ner_client.diagnosis`).
    """

    _asyncio: ClassVar[bool]

    def __init__(
        self,
        target: str = "localhost:50051",
        *,
        tls: bool | None = None,
        id_token: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        stream_timeout: float = DEFAULT_STREAM_TIMEOUT,
        retries: bool = True,
        ca_file: str | PathLike[str] | None = None,
        cert_file: str | PathLike[str] | None = None,
        key_file: str | PathLike[str] | None = None,
    ) -> None:
        self.target = target
        self.tls = tls
        self.id_token = id_token
        self.timeout = timeout
        self.stream_timeout = stream_timeout
        files = TlsFiles(ca_file, cert_file, key_file)
        self.tls_files = files
        self._channel: Any = open_channel(
            target, tls, id_token, asyncio=self._asyncio, retries=retries, tls_files=files
        )
        self._stub = ner_pb2_grpc.NerServiceStub(self._channel)
        self._secure = files.given or parse_target(target, tls).tls
        self._client_cert = files.cert_file is not None

    @contextmanager
    def _explaining(self) -> Iterator[None]:
        """Raise a failed call's error with its likely cause (`ner_client.diagnosis`), if known."""
        try:
            yield
        except grpc.RpcError as error:
            better = explained(error, tls=self._secure, client_cert=self._client_cert)
            if better is error:
                raise
            raise better from error

    def _deadline(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _stream_deadline(self, timeout: float | None) -> float:
        return self.stream_timeout if timeout is None else timeout
