"""Which failures end a bulk job (`ConnectionFailed`), and what a failed call means, in words.

Which codes are worth another try is `ner_client.status.RETRYABLE_CALL`. gRPC reports a target
that cannot be reached as UNAVAILABLE for every cause; the cause is only in the details' text
(gRPC core's own wording), which `cause` turns into a few words; `reason` adds the code and details.
"""

from __future__ import annotations

import re

import grpc

from ner_client import status


class ConnectionFailed(Exception):
    """No stream could make progress for the whole retry budget, or the server refused outright."""


def fatal(error: grpc.aio.AioRpcError) -> ConnectionFailed | None:
    """The failure to give up with, when `error` is not worth another try."""
    if error.code() in status.RETRYABLE_CALL:
        return None
    return ConnectionFailed(f"{error.code().name}: {error.details()}")


#: gRPC core's wording of a cause, and the words a user is told.
_CAUSES = (
    (re.compile(r"connection refused", re.IGNORECASE), "connection refused"),
    (re.compile(r"could not contact dns servers", re.IGNORECASE), "no DNS server answered"),
    (re.compile(r"name not found|hostname lookup|dns resolution|resolving", re.IGNORECASE), "no such host"),
    (re.compile(r"handshake failed|ssl_error|tsi_", re.IGNORECASE), "TLS handshake failed"),
    (re.compile(r"socket closed", re.IGNORECASE), "the server closed the connection"),
    (re.compile(r"connection reset", re.IGNORECASE), "connection reset"),
    (re.compile(r"timed out|deadline exceeded", re.IGNORECASE), "timed out"),
    (re.compile(r"no route to host|network is unreachable", re.IGNORECASE), "no route to host"),
)


def cause(error: grpc.aio.AioRpcError) -> str:
    """Why a call failed, in a few words: the cause gRPC's details name, else the code and details."""
    details = error.details() or ""
    for pattern, words in _CAUSES:
        if pattern.search(details):
            return words
    return f"{error.code().name}: {details}" if details else error.code().name


def reason(error: grpc.aio.AioRpcError) -> str:
    """`cause`, followed by the code and gRPC's own details where the cause was found in them."""
    words = cause(error)
    details = error.details() or ""
    return f"{words} ({error.code().name}: {details})" if details and details not in words else words


def setup_hint(error: grpc.aio.AioRpcError) -> str:
    """What a connection closed while it was being set up likely means: gRPC says no more when a
    TLS server is met with plaintext, or a mutual-TLS server without a client certificate it
    trusts. Empty for any other failure."""
    if cause(error) != "the server closed the connection":
        return ""
    return "; does it want TLS, or a client certificate?"
