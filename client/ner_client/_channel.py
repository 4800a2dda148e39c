"""Where and how to connect: target parsing, TLS (and its files), ID-token auth, retry policy, limits.

Two kinds of channel. The default one retries unary calls that got UNAVAILABLE (a service-config
retry policy). One for a caller that resends by itself (`retries=False`, as `ner-tag` uses it)
has gRPC's transparent retries off, since they replay a call's messages behind the caller's
back, reconnects within two seconds (gRPC's own backoff grows to two minutes) and pings a
quiet connection so that a dead one is noticed.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc

from ner_client import status

DEFAULT_TIMEOUT = 30.0
#: Cloud Run cuts a request (a whole stream) at its request timeout, at most 60 minutes.
DEFAULT_STREAM_TIMEOUT = 3600.0
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                # Unary methods only: a retried bidirectional stream was seen to reach a new server
                # without its first documents, so streams are resumed by their callers instead.
                "name": [
                    {"service": "ner.v1.NerService", "method": method}
                    for method in ("ExtractEntities", "BatchExtractEntities", "GetModelInfo")
                ],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": sorted(code.name for code in status.RETRIED_BY_CHANNEL),
                },
            }
        ]
    }
)


@dataclass(frozen=True)
class Target:
    """A dialable `host:port` and whether to use TLS."""

    address: str
    tls: bool


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS channel: the CA certificates that sign the server's certificate (None:
    the system's roots), and for mutual TLS the client's certificate chain and its key."""

    ca_file: str | PathLike[str] | None = None
    cert_file: str | PathLike[str] | None = None
    key_file: str | PathLike[str] | None = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")

    @property
    def given(self) -> bool:
        return any(path is not None for path in (self.ca_file, self.cert_file, self.key_file))

    def credentials(self) -> grpc.ChannelCredentials:
        """TLS channel credentials with these files' contents (read now)."""
        return grpc.ssl_channel_credentials(
            root_certificates=_read(self.ca_file),
            private_key=_read(self.key_file),
            certificate_chain=_read(self.cert_file),
        )


def _read(path: str | PathLike[str] | None) -> bytes | None:
    return None if path is None else Path(path).read_bytes()


def parse_target(target: str, tls: bool | None = None) -> Target:
    """`host:port`, or a URL: `https://NAME-HASH.REGION.run.app` means TLS on port 443."""
    if "://" in target:
        parts = urlsplit(target)
        secure = parts.scheme == "https" if tls is None else tls
        port = parts.port or (443 if secure else 80)
        return Target(f"{parts.hostname}:{port}", secure)
    return Target(target, bool(tls))


def audience_of(target: str) -> str:
    """The ID-token audience Cloud Run expects: the service URL."""
    if "://" in target:
        parts = urlsplit(target)
        return f"{parts.scheme}://{parts.hostname}"
    return f"https://{target.rsplit(':', 1)[0]}"


RETRYING_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
]
RESENDING_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.enable_retries", 0),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
]


def channel_options(*, retries: bool = True) -> list[tuple[str, Any]]:
    limits = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    return limits + (RETRYING_OPTIONS if retries else RESENDING_OPTIONS)


def open_channel(
    target: str,
    tls: bool | None,
    id_token: bool,
    *,
    asyncio: bool,
    retries: bool = True,
    tls_files: TlsFiles | None = None,
) -> Any:
    """A `grpc.Channel` (or `grpc.aio.Channel`) with the retry policy and, for TLS, credentials.

    TLS files mean TLS unless `tls` is False, which they contradict.
    """
    files = tls_files or TlsFiles()
    if files.given:
        if tls is False:
            raise ValueError("TLS files (a CA, a client certificate) need a TLS channel, not tls=False")
        tls = True
    where = parse_target(target, tls)
    secure = credentials(where, audience_of(target) if id_token else None, files)
    module: Any = grpc.aio if asyncio else grpc
    options = channel_options(retries=retries)
    if secure is None:
        return module.insecure_channel(where.address, options=options)
    return module.secure_channel(where.address, secure, options=options)


def credentials(
    target: Target, id_token_audience: str | None, tls_files: TlsFiles | None = None
) -> grpc.ChannelCredentials | None:
    """None for a plaintext channel; TLS credentials, with an ID token per call when asked."""
    if not target.tls:
        if id_token_audience:
            raise ValueError("ID-token auth needs a TLS target (https://... or tls=True)")
        return None
    channel_credentials = (tls_files or TlsFiles()).credentials()
    if id_token_audience:
        call_credentials = grpc.metadata_call_credentials(IdTokenAuth(id_token_audience))
        return grpc.composite_channel_credentials(channel_credentials, call_credentials)
    return channel_credentials


class IdTokenAuth(grpc.AuthMetadataPlugin):  # type: ignore[misc]
    """Sends `authorization: Bearer <Google ID token>` for a private Cloud Run service.

    Needs the `auth` extra (google-auth). Tokens are cached until five minutes before expiry.
    """

    def __init__(self, audience: str) -> None:
        self._audience = audience
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        try:
            callback((("authorization", f"Bearer {self._current()}"),), None)
        except Exception as error:  # noqa: BLE001 - reported to gRPC, which fails the call
            callback((), error)

    def _current(self) -> str:
        with self._lock:
            if time.time() > self._expires - 300:
                from google.auth.transport.requests import Request
                from google.oauth2 import id_token

                self._token = id_token.fetch_id_token(Request(), self._audience)
                self._expires = time.time() + 3600
            return self._token
