"""What a failed call's status says about why it failed, in words a caller can act on.

gRPC reports a connection that never came up as UNAVAILABLE, with gRPC core's own text in the
details: "Connection refused", "Domain name not found", "Tls handshake failed ...
CERTIFICATE_VERIFY_FAILED", or only "Socket closed" when the server ended a TLS handshake (it
wants a client certificate, or does not trust the one sent). `likely_cause` reads that text,
knowing whether the channel used TLS; `explained` gives a caller's error that cause, appended to
its details. A failure whose text names nothing known is left as it is.
"""

from __future__ import annotations

from typing import Any

import grpc

__all__ = ["ExplainedAioRpcError", "ExplainedRpcError", "explained", "likely_cause"]


def likely_cause(code: grpc.StatusCode, details: str, *, tls: bool, client_cert: bool = False) -> str | None:
    """The likely cause of a failure with this status, or None when its text names nothing known.

    `tls`: the channel used TLS; `client_cert`: it sent a client certificate (mutual TLS).
    """
    if code != grpc.StatusCode.UNAVAILABLE:
        return None
    if "Connection refused" in details:
        return "nothing listens at that address and port"
    if "Domain name not found" in details or "DNS resolution failed" in details:
        return "the host name does not resolve"
    if "Hostname Verification Check failed" in details:
        return "the server's certificate does not name the host dialled"
    if "CERTIFICATE_VERIFY_FAILED" in details:
        return (
            "the server's certificate is not signed by a CA this client trusts "
            "(give the CA that signed it: ca_file, --ca-file)"
        )
    if "WRONG_VERSION_NUMBER" in details:
        return "the server does not speak TLS: connect in plaintext"
    if "Socket closed" in details or "Connection reset by peer" in details:
        if not tls:
            return "the server may require TLS (give tls=True or ca_file, --tls or --ca-file)"
        if client_cert:
            return (
                "the server ended the TLS handshake: it may not trust this client's certificate "
                "(signed by a CA other than the one it requires)"
            )
        return (
            "the server ended the TLS handshake: it may require a client certificate "
            "(mutual TLS: cert_file and key_file, --cert-file and --key-file)"
        )
    return None


class ExplainedRpcError(grpc.RpcError):  # type: ignore[misc]
    """A failed call of the blocking client, with its likely cause appended to `details()`."""

    def __init__(self, error: grpc.RpcError, cause: str) -> None:
        super().__init__()
        self.original = error
        self.likely_cause = cause

    def code(self) -> grpc.StatusCode:
        code: grpc.StatusCode = self.original.code()
        return code

    def details(self) -> str:
        return f"{self.original.details()}; likely cause: {self.likely_cause}"

    def initial_metadata(self) -> Any:
        return self.original.initial_metadata()

    def trailing_metadata(self) -> Any:
        return self.original.trailing_metadata()

    def debug_error_string(self) -> str:
        text: str = self.original.debug_error_string()
        return text

    def __str__(self) -> str:
        return f"{self.code().name}: {self.details()}"


class ExplainedAioRpcError(grpc.aio.AioRpcError):  # type: ignore[misc]
    """A failed call of the asyncio client, with its likely cause appended to `details()`."""

    def __init__(self, error: grpc.aio.AioRpcError, cause: str) -> None:
        super().__init__(
            error.code(),
            error.initial_metadata(),
            error.trailing_metadata(),
            details=f"{error.details()}; likely cause: {cause}",
            debug_error_string=error.debug_error_string(),
        )
        self.original = error
        self.likely_cause = cause


def explained(error: grpc.RpcError, *, tls: bool, client_cert: bool = False) -> grpc.RpcError:
    """`error` with its likely cause in its details, or `error` itself when none is known."""
    code = getattr(error, "code", None)
    details = getattr(error, "details", None)
    if code is None or details is None:
        return error
    cause = likely_cause(code(), details() or "", tls=tls, client_cert=client_cert)
    if cause is None:
        return error
    if isinstance(error, grpc.aio.AioRpcError):
        return ExplainedAioRpcError(error, cause)
    return ExplainedRpcError(error, cause)
