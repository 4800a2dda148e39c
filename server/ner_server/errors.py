"""Domain errors and the one place that turns them into gRPC statuses.

RPC methods raise these; `maps_errors` (unary) and `maps_stream_errors` (streaming) abort the
call with the matching status and a `google.rpc.Status` carrying details. Anything else is
logged with its traceback and answered INTERNAL with a plain message.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status
from ner_client import status as status_codes

from ner_server.handlers import MalformedRequest

log = logging.getLogger(__name__)


class NerError(Exception):
    """An error with a gRPC status code and a message safe to show the caller."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> list[Any]:
        return []


class InvalidArgument(NerError):
    code = grpc.StatusCode.INVALID_ARGUMENT

    def __init__(self, field: str, description: str) -> None:
        super().__init__(f"{field}: {description}")
        self.field = field
        self.description = description

    def details(self) -> list[Any]:
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=self.field, description=self.description
        )
        return [error_details_pb2.BadRequest(field_violations=[violation])]


class Overloaded(NerError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(NerError):
    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(NerError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class InferenceFailed(NerError):
    code = grpc.StatusCode.INTERNAL


INTERNAL_MESSAGE = "internal error; the server log has the details"


def as_ner_error(error: BaseException) -> NerError:
    """`error` itself if it is a NerError, else a generic INTERNAL one (after logging it)."""
    if isinstance(error, NerError):
        return error
    log.error("unexpected error", exc_info=error)
    return NerError(INTERNAL_MESSAGE)


def to_status(error: NerError) -> grpc.Status:
    details = []
    for detail in error.details():
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    status = status_pb2.Status(code=status_codes.number(error.code), message=error.message, details=details)
    return rpc_status.to_status(status)


def maps_errors[Method: Callable[..., Awaitable[Any]]](method: Method) -> Method:
    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            if isinstance(request, MalformedRequest):
                raise InvalidArgument("request", request.reason)
            return await method(self, request, context)
        except Exception as error:  # noqa: BLE001 - every error must become a status
            await context.abort_with_status(to_status(as_ner_error(error)))

    return wrapper  # type: ignore[return-value]


def maps_stream_errors(
    method: Callable[..., AsyncIterator[Any]],
) -> Callable[..., AsyncIterator[Any]]:
    @functools.wraps(method)
    async def wrapper(self: Any, requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        try:
            async for response in method(self, requests, context):
                yield response
        except Exception as error:  # noqa: BLE001 - every error must become a status
            await context.abort_with_status(to_status(as_ner_error(error)))

    return wrapper
