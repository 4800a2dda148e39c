"""The gateway's service: each Connect call becomes the same gRPC call to the NER service.

Messages go through as they are (both sides use the same generated classes), the caller's
deadline becomes the gRPC deadline, and the service's status and details come back unchanged
(`errors`). The gateway's own limit on calls in flight is refused with RESOURCE_EXHAUSTED.
`StreamExtractEntities` is forwarded over HTTP/2 only: over HTTP/1.1 a bidirectional stream cannot
have both directions open at once (nor can a browser's fetch), so it is refused there with
UNIMPLEMENTED, pointing to BatchExtractEntities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_client.web.errors import connect_error

RES = TypeVar("RES")

#: Request headers handed on as gRPC metadata: the trace ids the service logs with each call.
FORWARDED_HEADERS = ("traceparent", "x-cloud-trace-context")
#: The HTTP version of the request being handled ("1.1", "2"), set by `app.Gateway`.
HTTP_VERSION: ContextVar[str] = ContextVar("http_version", default="1.1")


class Forwarder:
    """Implements `ner_connect.NerService` by calling the service over `channel`."""

    def __init__(self, channel: grpc.aio.Channel, target: str, *, default_timeout: float, max_calls: int):
        self._channel = channel
        self._stub = ner_pb2_grpc.NerServiceStub(channel)
        self._target = target
        self._default_timeout = default_timeout
        self._max_calls = max_calls
        self.in_flight = 0

    async def extract_entities(
        self, request: ner_pb2.ExtractEntitiesRequest, ctx: RequestContext[Any, Any]
    ) -> ner_pb2.ExtractEntitiesResponse:
        return await self._call(self._stub.ExtractEntities, request, ctx)

    async def batch_extract_entities(
        self, request: ner_pb2.BatchExtractEntitiesRequest, ctx: RequestContext[Any, Any]
    ) -> ner_pb2.BatchExtractEntitiesResponse:
        return await self._call(self._stub.BatchExtractEntities, request, ctx)

    async def get_model_info(
        self, request: ner_pb2.GetModelInfoRequest, ctx: RequestContext[Any, Any]
    ) -> ner_pb2.GetModelInfoResponse:
        return await self._call(self._stub.GetModelInfo, request, ctx)

    async def stream_extract_entities(
        self, request: AsyncIterator[ner_pb2.StreamExtractEntitiesRequest], ctx: RequestContext[Any, Any]
    ) -> AsyncIterator[ner_pb2.StreamExtractEntitiesResponse]:
        if HTTP_VERSION.get() != "2":
            raise ConnectError(
                Code.UNIMPLEMENTED,
                "StreamExtractEntities is a bidirectional stream, which needs HTTP/2; over HTTP/1.1 "
                "send several documents in one BatchExtractEntities call",
            )
        self._admit()
        call = self._stub.StreamExtractEntities(request, **self._call_options(ctx))
        self.in_flight += 1
        try:
            async for response in call:
                yield response
        except grpc.aio.AioRpcError as error:
            raise self._error(error) from None
        finally:
            call.cancel()
            self.in_flight -= 1

    async def _call(
        self, method: Callable[..., Awaitable[RES]], request: Any, ctx: RequestContext[Any, Any]
    ) -> RES:
        self._admit()
        self.in_flight += 1
        try:
            return await method(request, **self._call_options(ctx))
        except grpc.aio.AioRpcError as error:
            raise self._error(error) from None
        finally:
            self.in_flight -= 1

    def _admit(self) -> None:
        if self.in_flight >= self._max_calls:
            raise ConnectError(
                Code.RESOURCE_EXHAUSTED,
                f"the gateway has {self._max_calls} calls in flight, its limit (--max-calls); retry later",
            )

    def _call_options(self, ctx: RequestContext[Any, Any]) -> dict[str, Any]:
        """The caller's deadline (Connect-Timeout-Ms, grpc-timeout) and trace headers."""
        timeout_ms = ctx.timeout_ms()
        headers = ctx.request_headers()
        return {
            "timeout": timeout_ms / 1000 if timeout_ms is not None else self._default_timeout,
            "metadata": tuple((name, headers[name]) for name in FORWARDED_HEADERS if name in headers),
        }

    def _error(self, error: grpc.aio.AioRpcError) -> ConnectError:
        reached = self._channel.get_state() is grpc.ChannelConnectivity.READY
        return connect_error(error, self._target, reached=reached)
