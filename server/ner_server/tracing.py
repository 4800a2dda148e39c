"""Trace correlation for the log: which call a log line was written for, and one line per call.

A call may carry `x-cloud-trace-context: TRACE_ID/SPAN_ID;o=1` (Cloud Run's front end adds it)
or W3C `traceparent: 00-TRACE_ID-SPAN_ID-FLAGS`. `TraceInterceptor` puts
`projects/$GOOGLE_CLOUD_PROJECT/traces/TRACE_ID` in `current_trace` while the call is handled;
`logs.JsonFormatter` writes it as `logging.googleapis.com/trace`, the field Cloud Logging uses to
show a request's log lines under it. Without `GOOGLE_CLOUD_PROJECT` no trace field is written
(Cloud Run does not set it; deploy/service.yaml does).

Every completed call is logged at DEBUG with its method, status code and duration.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

import grpc
from ner_client import status

__all__ = ["TRACE_FIELD", "TraceInterceptor", "current_trace", "trace_id"]

log = logging.getLogger(__name__)

TRACE_FIELD = "logging.googleapis.com/trace"

#: The trace resource name of the call being handled; each call runs in its own asyncio task,
#: so a value set there is seen by that call's log lines only.
current_trace: ContextVar[str | None] = ContextVar("current_trace", default=None)

_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/|$)")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_NO_TRACE = "0" * 32


def trace_id(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The 32-hex-digit trace id of `x-cloud-trace-context`, else of `traceparent`, else None."""
    values = {key: value for key, value in metadata or () if isinstance(value, str)}
    for header, pattern in (("x-cloud-trace-context", _CLOUD_TRACE), ("traceparent", _TRACEPARENT)):
        match = pattern.match(values.get(header, "").strip())
        if match and match.group(1) != _NO_TRACE:
            return match.group(1).lower()
    return None


class TraceInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Sets `current_trace` for each call and logs the call's completion at DEBUG."""

    def __init__(self, project: str | None) -> None:
        self._project = project

    @classmethod
    def from_environment(cls) -> TraceInterceptor:
        return cls(os.environ.get("GOOGLE_CLOUD_PROJECT") or None)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        found = trace_id(handler_call_details.invocation_metadata)
        trace = f"projects/{self._project}/traces/{found}" if found and self._project else None
        method = handler_call_details.method
        for kind in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            behavior = getattr(handler, kind)
            if behavior is not None:
                return handler._replace(**{kind: _traced(behavior, method, trace)})
        return handler


def _traced(behavior: Callable[..., Any], method: str, trace: str | None) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(behavior):

        async def generator(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            current_trace.set(trace)
            started, failed = time.monotonic(), True
            try:
                async for response in behavior(request, context):
                    yield response
                failed = False
            finally:
                _completed(method, context, started, failed)

        return generator

    if inspect.iscoroutinefunction(behavior):

        async def coroutine(request: Any, context: grpc.aio.ServicerContext) -> Any:
            current_trace.set(trace)
            started, failed = time.monotonic(), True
            try:
                response = await behavior(request, context)
                failed = False
                return response
            finally:
                _completed(method, context, started, failed)

        return coroutine

    return behavior


def _completed(method: str, context: grpc.aio.ServicerContext, started: float, failed: bool) -> None:
    if log.isEnabledFor(logging.DEBUG):
        code: Any = context.code()
        if context.cancelled():
            name = "CANCELLED"
        elif code is None:
            name = "UNKNOWN" if failed else "OK"
        else:
            name = status.name(code)
        log.debug(
            "call completed",
            extra={
                "method": method,
                "code": name,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
            },
        )
