"""The gateway's limit on request bodies: a body over `max_body_bytes` is refused with
RESOURCE_EXHAUSTED before it is read into memory (a `Content-Length` over the limit at once,
a body streamed without one as soon as it passes the limit).

The refusal is raised from the `receive` the RPC application reads the body with, so
connect-python answers it in the caller's protocol, as it does its own errors.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from starlette.types import Receive, Scope


def limited_receive(scope: Scope, receive: Receive, max_body_bytes: int) -> Receive:
    declared = _content_length(scope)
    seen = 0

    async def receive_within_limit() -> MutableMapping[str, Any]:
        nonlocal seen
        if declared is not None and declared > max_body_bytes:
            raise _too_large(max_body_bytes, f"{declared} bytes declared")
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > max_body_bytes:
                raise _too_large(max_body_bytes, "more were sent")
        return message

    return receive_within_limit


def _too_large(limit: int, what: str) -> ConnectError:
    return ConnectError(
        Code.RESOURCE_EXHAUSTED,
        f"the request body is larger than the gateway's limit of {limit} bytes ({what}; --max-body-bytes)",
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
