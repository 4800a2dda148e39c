"""Keeping at it: backoff with a retry budget, and waiting for a service that is not there yet.

`Backoff` gives up, with `ConnectionFailed`, once nothing has worked for the whole retry budget.
`wait_for_service` asks for the model's details until the service answers; at its first failed
attempt it tells the watcher that the target cannot be reached and why, and at every later one
how much of the budget is left.
"""

from __future__ import annotations

import asyncio
import math
import random
import time

import grpc

from ner_client.bulk.failures import ConnectionFailed, cause, fatal, reason
from ner_client.bulk.needs import StreamingClient
from ner_client.bulk.watch import Watcher
from ner_client.types import ModelInfo


class Backoff:
    """Exponential backoff with jitter, and the retry budget: give up after `budget` s without progress."""

    def __init__(self, budget: float, first: float = 0.1, most: float = 5.0) -> None:
        self.budget, self.first, self.most = budget, first, most
        self.failures = 0
        self.failing_since: float | None = None

    def progressed(self) -> float | None:
        """Reset after a success; the seconds spent failing before it, or None if nothing failed."""
        failed_for = None if self.failing_since is None else time.monotonic() - self.failing_since
        self.failures = 0
        self.failing_since = None
        return failed_for

    def failed(self, error: grpc.aio.AioRpcError) -> float:
        """Count a failure; the seconds of budget left. Raises `ConnectionFailed` once it is spent."""
        now = time.monotonic()
        self.failing_since = self.failing_since or now
        failing_for = now - self.failing_since
        if failing_for > self.budget:
            raise ConnectionFailed(f"gave up after {self.budget:g} s without progress: {reason(error)}")
        return self.budget - failing_for

    async def pause(self) -> None:
        delay = min(self.most, self.first * 2**self.failures) * random.uniform(0.5, 1.0)
        self.failures += 1
        await asyncio.sleep(delay)


async def wait_for_service(client: StreamingClient, budget: float, watcher: Watcher) -> ModelInfo:
    """GetModelInfo, retried while the server is unreachable or still loading its model."""
    backoff = Backoff(budget)
    while True:
        try:
            info = await client.model_info()
        except grpc.aio.AioRpcError as error:
            if (failure := fatal(error)) is not None:
                raise failure from error
            first = backoff.failing_since is None
            left = backoff.failed(error)
            if first:
                how_long = "until stopped" if math.isinf(budget) else f"for up to {budget:g} s"
                watcher.notice(f"cannot reach {client.target}: {reason(error)}; retrying {how_long}")
            watcher.retrying(f"cannot reach {client.target}: {cause(error)}; retrying, {left:.0f} s left")
            await backoff.pause()
            continue
        if (failed_for := backoff.progressed()) is not None:
            watcher.retrying(None)
            watcher.notice(f"reached {client.target} after {failed_for:.1f} s")
        return info
