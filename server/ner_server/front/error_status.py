"""The one place where calls meet gRPC statuses: every NerService method runs through `unary` or
`streaming`, which end the call with the status of any error it raised, time it, and log it.

Domain errors become their status with `google.rpc.Status` details; anything else is logged with
its traceback and answered INTERNAL with a plain message. Every completed call is logged at DEBUG
with its method, status code and duration, and counted by the observer (the metrics).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, status_pb2
from grpc_status import rpc_status
from ner_client import status as status_codes

from ner_server.front.tracing import current_call
from ner_server.shared.errors import NerError

log = logging.getLogger(__name__)

__all__ = ["INTERNAL_MESSAGE", "CallObserver", "as_ner_error", "streaming", "to_status", "unary"]

INTERNAL_MESSAGE = "internal error; the server log has the details"

#: Told of every completed call: its full method name, status code name and seconds taken.
CallObserver = Callable[[str, str, float], None]


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
    return rpc_status.to_status(status_pb2.Status(code=error.code, message=error.message, details=details))


def unary(
    method: str, behavior: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]], observe: CallObserver
) -> Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]:
    async def handle(request: Any, context: grpc.aio.ServicerContext) -> Any:
        current_call.set(context)
        started, code = time.perf_counter(), code_pb2.OK
        try:
            return await behavior(request, context)
        except asyncio.CancelledError:
            code = code_pb2.CANCELLED
            raise
        except Exception as raised:  # noqa: BLE001 - every error must become a status
            error = as_ner_error(raised)
            code = error.code
            await context.abort_with_status(to_status(error))
        finally:
            _completed(method, code, started, observe)

    return handle


def streaming(
    method: str,
    behavior: Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]],
    observe: CallObserver,
) -> Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]:
    async def handle(requests: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        current_call.set(context)
        started, code = time.perf_counter(), code_pb2.OK
        try:
            async for response in behavior(requests, context):
                yield response
        except (asyncio.CancelledError, GeneratorExit):
            code = code_pb2.CANCELLED
            raise
        except Exception as raised:  # noqa: BLE001 - every error must become a status
            error = as_ner_error(raised)
            code = error.code
            await context.abort_with_status(to_status(error))
        finally:
            _completed(method, code, started, observe)

    return handle


def _completed(method: str, code: int, started: float, observe: CallObserver) -> None:
    seconds = time.perf_counter() - started
    name = status_codes.name(code)
    observe(method, name, seconds)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "call completed", extra={"method": method, "code": name, "duration_ms": round(seconds * 1000, 3)}
        )
