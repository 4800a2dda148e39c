"""The service's errors, as Connect errors: the same code, message and details.

The gRPC status travels as `grpc-status`, `grpc-message` and, for rich errors, a `google.rpc.Status`
in `grpc-status-details-bin`, whose `details` (packed `Any` messages, such as `BadRequest`) are
handed on as they are. connect-python writes them in each protocol's own form.
"""

from __future__ import annotations

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf.any_pb2 import Any
from google.rpc import error_details_pb2, status_pb2

# Imported for its side effect: the detail types the service sends are in the default symbol
# database, so the Connect JSON form can show them decoded ("debug").
_DETAIL_TYPES = (error_details_pb2.BadRequest,)

_CODES = {status: Code[status.name] for status in grpc.StatusCode if status.name not in ("OK", "CANCELLED")}
_CODES[grpc.StatusCode.CANCELLED] = Code.CANCELED
DETAILS_KEY = "grpc-status-details-bin"


def connect_error(error: grpc.aio.AioRpcError, target: str, *, reached: bool) -> ConnectError:
    """`reached`: whether the channel had a connection; UNAVAILABLE without one names the target."""
    code = _CODES.get(error.code(), Code.UNKNOWN)
    message = error.details() or ""
    if code is Code.UNAVAILABLE and not reached:
        message = f"the NER service at {target} cannot be reached: {message}"
    return ConnectError(code, message, _details(error))


def _details(error: grpc.aio.AioRpcError) -> list[Any]:
    for key, value in error.trailing_metadata() or ():
        if key == DETAILS_KEY and isinstance(value, bytes):
            return list(status_pb2.Status.FromString(value).details)
    return []
