"""Reaching the service: the tagging channel, backoff with a retry budget, and the first call.

The channel turns off gRPC's transparent retries (the streams resend by themselves) and
reconnects quickly. `Backoff` gives up, with `ConnectionFailed`, once nothing has worked for
the whole retry budget; `wait_for_service` waits for a server that is still starting.
"""

from __future__ import annotations

import asyncio
import random
import time

import grpc

from ner_client._channel import audience_of, channel_options, credentials, parse_target
from ner_client.proto import ner_pb2, ner_pb2_grpc

#: Stream failures worth reconnecting for. Anything else (UNAUTHENTICATED, UNIMPLEMENTED...) is fatal.
RETRYABLE = frozenset(
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
#: The streams resend unanswered documents themselves, so gRPC's transparent retries (which
#: replay a call's messages behind our back) are off. Reconnect quickly: gRPC's own default
#: backoff grows to two minutes.
_REPLACED_OPTIONS = ("grpc.service_config", "grpc.enable_retries")
STREAM_CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 0),
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
]


class ConnectionFailed(Exception):
    """No stream could make progress for the whole retry budget, or the server refused outright."""


def open_channel(target: str, tls: bool | None, id_token: bool) -> grpc.aio.Channel:
    where = parse_target(target, tls)
    secure = credentials(where, audience_of(target) if id_token else None)
    options = [
        option for option in channel_options() if option[0] not in _REPLACED_OPTIONS
    ] + STREAM_CHANNEL_OPTIONS
    if secure is None:
        return grpc.aio.insecure_channel(where.address, options=options)
    return grpc.aio.secure_channel(where.address, secure, options=options)


class Backoff:
    """Exponential backoff with jitter, and the retry budget: give up after `budget` s without progress."""

    def __init__(self, budget: float, first: float = 0.1, most: float = 5.0) -> None:
        self.budget, self.first, self.most = budget, first, most
        self.failures = 0
        self.failing_since: float | None = None

    def progressed(self) -> None:
        self.failures = 0
        self.failing_since = None

    async def wait(self, error: grpc.aio.AioRpcError) -> None:
        now = time.monotonic()
        self.failing_since = self.failing_since or now
        if now - self.failing_since > self.budget:
            raise ConnectionFailed(f"gave up after {self.budget:g} s: {error.code().name}: {error.details()}")
        delay = min(self.most, self.first * 2**self.failures) * random.uniform(0.5, 1.0)
        self.failures += 1
        await asyncio.sleep(delay)


async def wait_for_service(channel: grpc.aio.Channel, budget: float) -> ner_pb2.GetModelInfoResponse:
    """GetModelInfo, retried while the server is unreachable or still loading its model."""
    stub = ner_pb2_grpc.NerServiceStub(channel)
    backoff = Backoff(budget)
    while True:
        try:
            info: ner_pb2.GetModelInfoResponse = await stub.GetModelInfo(
                ner_pb2.GetModelInfoRequest(), timeout=30
            )
            return info
        except grpc.aio.AioRpcError as error:
            if error.code() not in RETRYABLE:
                raise ConnectionFailed(f"{error.code().name}: {error.details()}") from error
            await backoff.wait(error)
