"""The worker pool: starts the fork server and the workers, notices deaths, replaces, stops.

Lives in the front (gRPC) process. Each worker is reached through its own socket; a batch sent
to a worker is answered in order, so the pool only matches answers to batch ids.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from ner_server.model import ModelInfo
from ner_server.pool import wire

log = logging.getLogger(__name__)


class ModelLoadFailed(Exception):
    """The fork server could not load the model; the message says why."""


class WorkerDied(Exception):
    """The worker holding a batch exited before answering it."""


class Worker:
    """The front process's handle on one worker process."""

    def __init__(self, slot: int, pid: int, sock: socket.socket) -> None:
        self.slot = slot
        self.pid = pid
        self._sock = sock
        self._pending: dict[int, asyncio.Future[list[Any]]] = {}
        self._batch_ids = itertools.count()
        self._writer: asyncio.StreamWriter | None = None
        self.ready = asyncio.get_running_loop().create_future()
        self.gone = asyncio.get_running_loop().create_future()

    async def connect(self) -> None:
        reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
        self._reader = asyncio.create_task(self._read_answers(reader), name=f"worker-{self.pid}-answers")

    async def run(self, texts: list[str]) -> list[Any]:
        """The worker's outcome for each text; raises WorkerDied if it exits first."""
        if self.gone.done() or self._writer is None:
            raise WorkerDied(f"worker {self.pid} is gone")
        batch_id = next(self._batch_ids)
        answer: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._pending[batch_id] = answer
        try:
            self._writer.write(wire.encode((batch_id, texts)))
            await self._writer.drain()
        except (ConnectionError, OSError) as error:
            self._pending.pop(batch_id, None)
            raise WorkerDied(f"worker {self.pid} is gone: {error}") from error
        return await answer

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        while (message := await wire.receive_async(reader)) is not None:
            if message[0] == "ready":
                if not self.ready.done():
                    self.ready.set_result(None)
                continue
            batch_id, outcomes = message
            answer = self._pending.pop(batch_id)
            if not answer.done():
                answer.set_result(outcomes)
        failure = WorkerDied(f"worker {self.pid} exited")
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(failure)
        self._pending.clear()
        if not self.ready.done():
            self.ready.set_exception(failure)
        if not self.gone.done():
            self.gone.set_result(None)


class WorkerPool:
    """Owns the model processes: one fork server and `size` workers forked from it."""

    def __init__(
        self,
        *,
        size: int,
        model: str,
        pipeline: str,
        log_level: str,
        pin_workers: bool,
        spin_seconds: float,
        on_readiness: Callable[[bool], Awaitable[None]],
    ) -> None:
        self.size = size
        self._model_args = ["--model", model, "--pipeline", pipeline, "--log-level", log_level]
        self._model_args += ["--spin-seconds", str(spin_seconds)]
        self._on_readiness = on_readiness
        self._pin_workers = pin_workers
        self._workers: list[Worker | None] = [None] * size
        self._changed = asyncio.Condition()
        self._control: socket.socket | None = None
        self._control_lock = asyncio.Lock()
        self._fork_server: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._ready = False
        self._keepers: list[asyncio.Task[None]] = []

    async def start(self) -> ModelInfo:
        """Start the fork server, wait for the model, and start every worker."""
        front_end, server_end = socket.socketpair()
        self._control = front_end
        self._fork_server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ner_server.pool.forkserver",
            "--control-fd",
            str(server_end.fileno()),
            *self._model_args,
            pass_fds=(server_end.fileno(),),
        )
        server_end.close()
        first = await asyncio.to_thread(wire.receive, front_end)
        if first is None or first[0] != "model":
            reason = first[1] if first else "the fork server exited while loading the model"
            raise ModelLoadFailed(reason)
        self._keepers = [
            asyncio.create_task(self._keep_filled(slot), name=f"slot-{slot}") for slot in range(self.size)
        ]
        info: ModelInfo = first[1]
        return info

    @property
    def fork_server_pid(self) -> int | None:
        return self._fork_server.pid if self._fork_server else None

    async def worker(self, slot: int) -> Worker:
        """The ready worker of `slot`, waiting while it is being (re)started."""
        async with self._changed:
            while (worker := self._workers[slot]) is None or worker.gone.done():
                await self._changed.wait()
            return worker

    async def stop(self) -> None:
        """Close every worker's socket (they exit) and the fork server's (it exits)."""
        self._stopping = True
        for keeper in self._keepers:
            keeper.cancel()
        for worker in self._workers:
            if worker is not None:
                worker.close()
        if self._control is not None:
            self._control.close()
        if self._fork_server is not None:
            await self._fork_server.wait()

    async def _keep_filled(self, slot: int) -> None:
        while not self._stopping:
            try:
                worker = await self._spawn(slot)
                await worker.ready
            except (WorkerDied, OSError, EOFError) as error:
                if self._stopping:
                    return
                log.error("worker in slot %d failed to start: %s", slot, error)
                await asyncio.sleep(1.0)
                continue
            await self._set(slot, worker)
            log.info("worker ready", extra={"slot": slot, "pid": worker.pid})
            await worker.gone
            if self._stopping:
                return
            log.error("worker exited; replacing it", extra={"slot": slot, "pid": worker.pid})
            await self._set(slot, None)

    async def _spawn(self, slot: int) -> Worker:
        async with self._control_lock:
            if self._control is None or self._fork_server is None or self._fork_server.returncode is not None:
                raise OSError("the fork server is not running")
            wire.send(self._control, ("spawn", self._cpu_for(slot)))
            answer = await asyncio.to_thread(wire.receive_with_fd, self._control)
        if answer is None:
            raise OSError("the fork server closed its control socket")
        (_, pid), fd = answer
        worker = Worker(slot, pid, socket.socket(fileno=fd))
        await worker.connect()
        return worker

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
        ready = all(w is not None and not w.gone.done() for w in self._workers)
        if ready != self._ready:
            self._ready = ready
            await self._on_readiness(ready)

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers if w is not None]
