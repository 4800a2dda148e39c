"""gRPC status codes for the whole tree: their numbers on the wire, their names, which are retryable.

A per-document error carries its code as a number (`DocumentError.code`, the `google.rpc.Code`
value); the server writes it with `number` and the client reads it back with `from_number`.
The retryable sets say which failures are worth another try, and are used by the client's retry
policy and by `ner-tag`.
"""

from __future__ import annotations

import grpc

__all__ = [
    "RETRIED_BY_CHANNEL",
    "RETRYABLE_CALL",
    "TRANSIENT_DOCUMENT",
    "from_number",
    "name",
    "number",
]

_BY_NUMBER: dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}

#: Unary calls the channel's retry policy makes again by itself (the server was not reached).
RETRIED_BY_CHANNEL = frozenset({grpc.StatusCode.UNAVAILABLE})

#: A broken call worth a new one (a stream reconnects for these). Anything else
#: (UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED, INVALID_ARGUMENT...) will fail again.
RETRYABLE_CALL = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)

#: A per-document error that means "try this document again later" (its worker died, the server
#: was overloaded or shutting down), not "this document is bad".
TRANSIENT_DOCUMENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
    }
)


def number(code: grpc.StatusCode) -> int:
    """The code's number on the wire (`google.rpc.Code`): INVALID_ARGUMENT is 3."""
    value: int = code.value[0]
    return value


def from_number(value: int) -> grpc.StatusCode:
    """The code with that number; UNKNOWN for a number gRPC does not define."""
    return _BY_NUMBER.get(value, grpc.StatusCode.UNKNOWN)


def name(code: grpc.StatusCode | int) -> str:
    """`"INVALID_ARGUMENT"` for the code or its number; an undefined number as itself."""
    if isinstance(code, grpc.StatusCode):
        known: str = code.name
        return known
    found = _BY_NUMBER.get(code)
    return name(found) if found is not None else str(code)
