"""Keeping at it: backoff with a retry budget, and waiting for a service that is still starting.

`Backoff` gives up, with `ConnectionFailed`, once nothing has worked for the whole retry budget;
`wait_for_service` asks for the model's details until the service answers. Which failures are
worth another try is `ner_client.status.RETRYABLE_CALL`.
"""

from __future__ import annotations

import asyncio
import random
import time

import grpc

from ner_client import status
from ner_client.aio import AsyncNerClient
from ner_client.types import ModelInfo


class ConnectionFailed(Exception):
    """No stream could make progress for the whole retry budget, or the server refused outright."""


def fatal(error: grpc.aio.AioRpcError) -> ConnectionFailed | None:
    """The failure to give up with, when `error` is not worth another try."""
    if error.code() in status.RETRYABLE_CALL:
        return None
    return ConnectionFailed(f"{error.code().name}: {error.details()}")


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


async def wait_for_service(client: AsyncNerClient, budget: float) -> ModelInfo:
    """GetModelInfo, retried while the server is unreachable or still loading its model."""
    backoff = Backoff(budget)
    while True:
        try:
            return await client.model_info()
        except grpc.aio.AioRpcError as error:
            if (failure := fatal(error)) is not None:
                raise failure from error
            await backoff.wait(error)
