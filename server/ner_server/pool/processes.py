"""The front process's handles on its model processes: one fork server and each worker.

A batch sent to a worker is answered in order on the worker's own socket, so a handle only
matches answers to batch ids. Every way a process can end (exit, kill, a closed socket) settles
the handle's `gone` future, and no caller is left waiting on an answer that cannot come.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import sys

from ner_server.shared import wire
from ner_server.shared.messages import (
    Answer,
    Batch,
    LoadFailed,
    LoadModel,
    ModelLoaded,
    Spawn,
    Spawned,
    WorkerReady,
)
from ner_server.shared.model_info import ModelInfo
from ner_server.shared.worker_config import MODEL_PROCESS_ENV, WorkerConfig

__all__ = ["ForkServer", "ModelLoadFailed", "Worker", "WorkerDied"]


class ModelLoadFailed(Exception):
    """The fork server could not load the model; the message says why."""


class WorkerDied(Exception):
    """The worker holding a batch exited before answering it."""


class Worker:
    """One worker process: send it batches, get their outcomes."""

    def __init__(self, slot: int, pid: int, sock: socket.socket) -> None:
        self.slot = slot
        self.pid = pid
        self._sock = sock
        self._pending: dict[int, asyncio.Future[Answer]] = {}
        self._batch_ids = itertools.count()
        self._writer: asyncio.StreamWriter | None = None
        self._retiring = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def connect(self) -> None:
        reader, self._writer = await asyncio.open_unix_connection(sock=self._sock)
        self._reader = asyncio.create_task(self._read_answers(reader), name=f"worker-{self.pid}-answers")

    @property
    def usable(self) -> bool:
        """Takes new batches: alive, and not being retired."""
        return not self._retiring and not self.gone.done()

    async def run(self, kinds: bytes, requests: list[bytes]) -> Answer:
        """The worker's answer to these requests; raises WorkerDied if it exits first."""
        if self.gone.done() or self._writer is None:
            raise WorkerDied(f"worker {self.pid} is gone")
        batch_id = next(self._batch_ids)
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[batch_id] = answer
        try:
            self._writer.write(wire.encode(Batch(batch_id, kinds, requests)))
            await self._writer.drain()
        except (ConnectionError, OSError) as error:
            self._pending.pop(batch_id, None)
            raise WorkerDied(f"worker {self.pid} is gone: {error}") from error
        return await answer

    def retire(self) -> None:
        """Take no new batches, answer the ones it holds, then exit (its socket is closed)."""
        self._retiring = True
        if not self._pending:
            self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        while (message := await wire.receive_async(reader)) is not None:
            if isinstance(message, WorkerReady):
                if not self.ready.done():
                    self.ready.set_result(None)
            elif isinstance(message, Answer):
                answer = self._pending.pop(message.batch_id)
                if not answer.done():
                    answer.set_result(message)
                if self._retiring and not self._pending:
                    self.close()
        self.close()
        failure = WorkerDied(f"worker {self.pid} exited")
        for answer in self._pending.values():
            if not answer.done():
                answer.set_exception(failure)
        self._pending.clear()
        if not self.ready.done():
            self.ready.set_exception(failure)
        if not self.gone.done():
            self.gone.set_result(None)


class ForkServer:
    """The process that holds the loaded model and forks workers from it."""

    def __init__(self, process: asyncio.subprocess.Process, control: socket.socket) -> None:
        self._process = process
        self._control = control
        self._lock = asyncio.Lock()
        self.exited: asyncio.Task[int] = asyncio.create_task(
            process.wait(), name=f"fork-server-{process.pid}"
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    @classmethod
    async def start(cls, config: WorkerConfig) -> tuple[ForkServer, ModelInfo]:
        """Start one and wait until it has loaded the model (ModelLoadFailed if it cannot)."""
        front_end, server_end = socket.socketpair()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ner_server.worker.forkserver",
            str(server_end.fileno()),
            pass_fds=(server_end.fileno(),),
            env={**os.environ, **MODEL_PROCESS_ENV},
        )
        server_end.close()
        fork_server = cls(process, front_end)
        try:
            wire.send(front_end, LoadModel(config))
        except OSError:
            pass  # it exited at once: the read below finds its end closed
        try:
            first = await asyncio.to_thread(wire.receive, front_end)
        except asyncio.CancelledError:
            process.kill()  # ends the read above too
            await asyncio.wait([fork_server.exited])
            fork_server.stop()
            raise
        if not isinstance(first, ModelLoaded):
            fork_server.stop()
            await fork_server.exited
            raise ModelLoadFailed(
                first.reason if isinstance(first, LoadFailed) else "the fork server exited while loading"
            )
        return fork_server, first.info

    async def spawn(self, slot: int, cpu: int | None) -> Worker:
        """A new worker for `slot` (connected, not yet ready); OSError if this fork server is gone."""
        async with self._lock:
            if self.exited.done():
                raise OSError("the fork server is not running")
            wire.send(self._control, Spawn(cpu))
            answer = await asyncio.to_thread(wire.receive_with_fd, self._control)
        if answer is None or not isinstance(answer[0], Spawned):
            raise OSError("the fork server closed its control socket")
        spawned, fd = answer
        worker = Worker(slot, spawned.pid, socket.socket(fileno=fd))
        await worker.connect()
        return worker

    def stop(self) -> None:
        """Close the control socket: the fork server exits (its workers live on until closed)."""
        self._control.close()
