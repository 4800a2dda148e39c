"""What the gateway is told at start: one frozen settings object, documented field by field.

`cli` fills it from flags and `NER_WEB_*` / `PORT` variables and checks every value; the rest of
the gateway only reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ner_client._channel import TlsFiles


def _setting(default: Any, description: str) -> Any:
    if callable(default):
        return field(default_factory=default, metadata={"help": description})
    return field(default=default, metadata={"help": description})


@dataclass(frozen=True)
class GatewaySettings:
    """How `ner-web` runs. Every field has a flag and an environment variable (see `cli`)."""

    target: str = _setting("", "the gRPC service: host:port, or https://NAME.run.app (TLS on 443)")
    tls: bool = _setting(False, "use TLS for a host:port target")
    ca_file: str = _setting("", "PEM CA certificates that sign the service's certificate (implies TLS)")
    cert_file: str = _setting("", "PEM client certificate chain, for mutual TLS (with --key-file)")
    key_file: str = _setting("", "PEM key of --cert-file")
    id_token: bool = _setting(
        False, "send this account's Google ID token (a private Cloud Run service; needs the auth extra)"
    )
    h2c: bool = _setting(
        False,
        "serve HTTP/2 over cleartext as well (hypercorn), for StreamExtractEntities and gRPC; "
        "otherwise HTTP/1.1 only (uvicorn), which costs about 40% less CPU per call",
    )
    host: str = _setting("0.0.0.0", "address to bind; 0.0.0.0 listens on every IPv4 interface")
    port: int = _setting(8080, "HTTP port; 0 picks a free one, logged (Cloud Run sets PORT)")
    allowed_origins: tuple[str, ...] = _setting(
        tuple,
        "origins (scheme://host[:port]) whose pages may call the gateway (CORS); repeat the flag "
        "for several (env: comma-separated); none by default",
    )
    max_body_bytes: int = _setting(4 * 1024 * 1024, "largest request body accepted, in bytes")
    max_calls: int = _setting(64, "most calls forwarded to the service at once; more are refused")
    default_timeout: float = _setting(
        30.0, "deadline, in seconds, of a call whose client sent none (Connect-Timeout-Ms, grpc-timeout)"
    )
    grace: float = _setting(8.0, "seconds that calls in flight get to finish after SIGTERM")
    log_level: str = _setting("info", "debug, info, warning or error")

    @property
    def tls_files(self) -> TlsFiles:
        return TlsFiles(self.ca_file or None, self.cert_file or None, self.key_file or None)
