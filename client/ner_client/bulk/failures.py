"""Which failures end a bulk job (`ConnectionFailed`), and what a failed call means, in words.

Which codes are worth another try is `ner_client.status.RETRYABLE_CALL`. gRPC reports a target
that cannot be reached as UNAVAILABLE for every cause, the cause only in the details' text; the
clients add the likely cause (`ner_client.diagnosis`), which `cause` and `reason` put first.
"""

from __future__ import annotations

import grpc

from ner_client import status
from ner_client.diagnosis import ExplainedAioRpcError


class ConnectionFailed(Exception):
    """No stream could make progress for the whole retry budget, or the server refused outright."""


def fatal(error: grpc.aio.AioRpcError) -> ConnectionFailed | None:
    """The failure to give up with, when `error` is not worth another try."""
    if error.code() in status.RETRYABLE_CALL:
        return None
    return ConnectionFailed(f"{error.code().name}: {error.details()}")


def cause(error: grpc.aio.AioRpcError) -> str:
    """Why a connection could not be made, in words a user can act on: the likely cause the client
    found in gRPC's details (`ner_client.diagnosis`), else the code and details."""
    if isinstance(error, ExplainedAioRpcError):
        return str(error.likely_cause)
    return plain(error)


def reason(error: grpc.aio.AioRpcError) -> str:
    """`cause`, followed by gRPC's own code and details when a likely cause was found."""
    return (
        f"{error.likely_cause} ({plain(error)})" if isinstance(error, ExplainedAioRpcError) else plain(error)
    )


def plain(error: grpc.aio.AioRpcError) -> str:
    """gRPC's own code and details, without the client's guess at a cause: what a call that broke
    after it was set up (a restarted server, a deadline) is told with."""
    original = error.original if isinstance(error, ExplainedAioRpcError) else error
    details = original.details() or ""
    return f"{original.code().name}: {details}" if details else original.code().name
