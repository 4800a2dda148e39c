"""The fork server: loads the model once, then forks every worker from that loaded state.

It is started as a fresh interpreter (`python -m ner_server.worker.forkserver CONTROL_FD`), so it
has never touched gRPC: forking a process that runs gRPC's threads is unsafe, and forking from here
keeps the model's memory shared copy-on-write by all workers, including ones that replace a dead one.

Control protocol on the inherited socket (messages in `shared.messages`): the front sends LoadModel
with the WorkerConfig; the fork server answers ModelLoaded or LoadFailed; then for each Spawn it
forks a worker and answers Spawned with the worker's socket attached. It exits when the front
process closes the control socket.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import sys

from ner_client.json_logs import configure_logging

from ner_server.shared import wire
from ner_server.shared.messages import LoadFailed, LoadModel, ModelLoaded, Spawn, Spawned
from ner_server.worker.loading import PipelineUnusable, load_pipeline
from ner_server.worker.loop import WARM_UP_TEXT, run_worker
from ner_server.worker.recognizer import Recognizer, describe
from ner_server.worker.runner import BatchRunner

log = logging.getLogger(__name__)


def main() -> None:
    # The front process decides when everything stops; a Ctrl-C sent to the whole process group
    # must not kill the model processes while the front still answers in-flight documents.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    control = socket.socket(fileno=int(sys.argv[1]))
    load = wire.receive(control)
    if not isinstance(load, LoadModel):
        sys.exit(1)  # the front went away before it said what to load
    config = load.config
    configure_logging(config.log_level)
    try:
        nlp = load_pipeline(config.model, config.pipeline, matmul=config.matmul, code=config.code)
        info = describe(nlp)
        labels = info.labels if info.labels_known else None
        runner = BatchRunner(Recognizer(nlp, config.keep_words), labels, config.max_text_chars)
        runner.warm_up(WARM_UP_TEXT)
    except PipelineUnusable as error:
        wire.send(control, LoadFailed(str(error)))
        sys.exit(1)
    except Exception as error:
        log.exception("could not load the model")
        wire.send(control, LoadFailed(f"could not load model {config.model!r}: {error}"))
        sys.exit(1)
    wire.send(control, ModelLoaded(info))
    _hand_back_freed_memory()
    # Objects that exist now are never collected, so the collector never writes to (and so
    # copies) the pages that hold them in the workers.
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    while isinstance(request := wire.receive(control), Spawn):
        worker_end, front_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            control.close()
            front_end.close()
            _run_child(runner, worker_end, request.cpu, config.spin_seconds, config.nice)
        worker_end.close()
        wire.send_with_fd(control, Spawned(pid), front_end.fileno())
        front_end.close()


def _hand_back_freed_memory() -> None:
    """Loading freed what it left out (the model's other components); MODEL_PROCESS_ENV keeps
    freed memory in the heap, where every worker would inherit it: give it back before forking."""
    gc.collect()
    malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only
    if malloc_trim is not None:
        malloc_trim(0)


def _run_child(
    runner: BatchRunner, sock: socket.socket, cpu: int | None, spin_seconds: float, nice: int
) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.nice(nice)
    if cpu is not None:
        _pin(cpu)
    status = 0
    try:
        run_worker(runner, sock, spin_seconds)
    except Exception:
        log.exception("worker %d failed", os.getpid())
        status = 1
    finally:
        sys.stdout.flush()
        os._exit(status)


def _pin(cpu: int) -> None:
    """Keep this worker on one CPU: a worker that wakes on the core it last ran on finds the
    model's weights still in that core's caches, which is most of a short text's latency."""
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as error:
        log.warning("could not pin worker %d to CPU %d: %s", os.getpid(), cpu, error)


if __name__ == "__main__":
    main()
