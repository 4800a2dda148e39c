"""The worker pool: keeps every slot filled with a worker, whatever process dies.

Lives in the front (gRPC) process. A dead worker is replaced from the fork server. A dead fork
server is started again (the model loaded again); the workers it forked live on, orphaned, and
keep serving until a worker from the new fork server fills their slot, then they are retired.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from ner_server.pool.processes import ForkServer, ModelLoadFailed, Worker, WorkerDied
from ner_server.shared.model_info import ModelInfo
from ner_server.shared.worker_config import WorkerConfig

log = logging.getLogger(__name__)

#: Seconds between attempts to start a worker or a fork server that failed to start.
RETRY_SECONDS = 1.0


class WorkerPool:
    """Owns the model processes: one fork server and `size` workers forked from it."""

    def __init__(
        self,
        *,
        size: int,
        config: WorkerConfig,
        pin_workers: bool,
        on_readiness: Callable[[bool], Awaitable[None]],
        on_restart: Callable[[str], None] = lambda process: None,
    ) -> None:
        self.size = size
        self._config = config
        self._on_readiness = on_readiness
        self._on_restart = on_restart
        self._pin_workers = pin_workers
        self._workers: list[Worker | None] = [None] * size
        self._changed = asyncio.Condition()
        self._fork_server: ForkServer | None = None
        self._stopping = False
        self._ready = False
        self._filled_once = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> ModelInfo:
        """Start the fork server, wait for the model, and start filling every slot."""
        self._fork_server, info = await ForkServer.start(self._config)
        self._tasks = [
            asyncio.create_task(self._keep_filled(slot), name=f"slot-{slot}") for slot in range(self.size)
        ]
        self._tasks.append(asyncio.create_task(self._keep_fork_server(), name="fork-server-keeper"))
        return info

    @property
    def fork_server_pid(self) -> int | None:
        return self._fork_server.pid if self._fork_server else None

    async def worker(self, slot: int) -> Worker:
        """The usable worker of `slot`, waiting while it is being (re)started."""
        async with self._changed:
            while (worker := self._workers[slot]) is None or not worker.usable:
                await self._changed.wait()
            return worker

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers if w is not None]

    def ready_workers(self) -> int:
        return sum(1 for w in self._workers if w is not None and w.usable)

    async def stop(self) -> None:
        """Close every worker's socket (they exit) and the fork server's (it exits)."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for worker in self._workers:
            if worker is not None:
                worker.close()
        if self._fork_server is not None:
            self._fork_server.stop()
            await self._fork_server.exited

    async def _keep_fork_server(self) -> None:
        while not self._stopping:
            assert self._fork_server is not None
            await asyncio.wait([self._fork_server.exited])  # (awaiting it directly would cancel it on stop)
            if self._stopping:
                return
            log.error(
                "the fork server exited; starting a new one (its workers serve until replaced)",
                extra={"pid": self._fork_server.pid},
            )
            self._on_restart("fork_server")
            self._fork_server.stop()
            replacement = None
            while replacement is None:
                try:
                    replacement, _ = await ForkServer.start(self._config)
                except (ModelLoadFailed, OSError) as error:
                    log.error("could not start a fork server: %s", error)
                    await asyncio.sleep(RETRY_SECONDS)
            async with self._changed:
                self._fork_server = replacement
                self._changed.notify_all()
            log.info("fork server ready", extra={"pid": replacement.pid})

    async def _live_fork_server(self) -> ForkServer:
        async with self._changed:
            while self._fork_server is None or self._fork_server.exited.done():
                await self._changed.wait()
            return self._fork_server

    async def _keep_filled(self, slot: int) -> None:
        while not self._stopping:
            fork_server = await self._live_fork_server()
            try:
                worker = await fork_server.spawn(slot, self._cpu_for(slot))
                await worker.ready
            except (WorkerDied, OSError, EOFError) as error:
                if self._stopping:
                    return
                log.error("worker in slot %d failed to start: %s", slot, error)
                await asyncio.wait([fork_server.exited], timeout=RETRY_SECONDS)
                continue
            previous = self._workers[slot]
            await self._set(slot, worker)
            if previous is not None:
                previous.retire()
                log.info("orphaned worker retired", extra={"slot": slot, "pid": previous.pid})
            log.info("worker ready", extra={"slot": slot, "pid": worker.pid})
            ends: list[asyncio.Future[Any]] = [worker.gone, fork_server.exited]
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
            if self._stopping:
                return
            if worker.gone.done():
                log.error("worker exited; replacing it", extra={"slot": slot, "pid": worker.pid})
                self._on_restart("worker")
                await self._set(slot, None)
            # Else the fork server died: this worker serves on until the next pass fills the slot.

    def _cpu_for(self, slot: int) -> int | None:
        """Slot i runs on the i-th allowed CPU (round robin when there are more workers than CPUs)."""
        if not self._pin_workers:
            return None
        cpus = sorted(os.sched_getaffinity(0))
        return cpus[slot % len(cpus)]

    async def _set(self, slot: int, worker: Worker | None) -> None:
        async with self._changed:
            self._workers[slot] = worker
            self._changed.notify_all()
        if worker is not None:
            worker.gone.add_done_callback(self._on_worker_gone)
        await self._update_readiness()

    def _on_worker_gone(self, _: asyncio.Future[None]) -> None:
        task = asyncio.create_task(self._update_readiness())
        self._tasks.append(task)
        task.add_done_callback(self._tasks.remove)

    async def _update_readiness(self) -> None:
        """SERVING once every slot has had a worker ready, then while any worker can take work:
        a service that answers must not be restarted."""
        if self._stopping:
            return  # the server says NOT_SERVING itself from SIGTERM on
        usable = self.ready_workers()
        self._filled_once = self._filled_once or usable == self.size
        ready = usable > 0 and self._filled_once
        if ready != self._ready:
            self._ready = ready
            await self._on_readiness(ready)
