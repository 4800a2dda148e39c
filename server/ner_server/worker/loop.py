"""A model worker: takes batches of jobs from its socket and sends back their answers.

Runs in a process forked from the fork server, so the model is already in memory (shared
copy-on-write with every other worker).
"""

from __future__ import annotations

import os
import select
import socket
import time

from ner_server.shared import wire
from ner_server.shared.messages import Batch, WorkerReady
from ner_server.worker.runner import BatchRunner

WARM_UP_TEXT = "On Tuesday the Lisbon office of Example Corp hired 12 engineers for 3 million euros."


def run_worker(runner: BatchRunner, sock: socket.socket, spin_seconds: float) -> None:
    """Serve batches until the front process closes the socket."""
    runner.warm_up(WARM_UP_TEXT)
    wire.send(sock, WorkerReady(os.getpid()))
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    while True:
        _spin_until_readable(poller, spin_seconds)
        batch = wire.receive(sock)
        if batch is None:
            break
        assert isinstance(batch, Batch)
        wire.send(sock, runner.answer(batch))


def _spin_until_readable(poller: select.poll, seconds: float) -> None:
    # Yielding while polling lets the front process run on this core when it needs to.
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if poller.poll(0):
            return
        os.sched_yield()
