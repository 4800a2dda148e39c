"""The one settings object of the server, filled from flags and environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def available_cpus() -> int:
    """The CPUs this process may run on (respects affinity masks and container cpusets)."""
    return len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class Settings:
    """How the server runs. Every field has a flag and an environment variable (see `cli`)."""

    #: Address to bind; `[::]` listens on every interface.
    host: str = "[::]"
    #: Port to listen on; 0 picks a free one (it is logged). Cloud Run sets `PORT`.
    port: int = 50051
    #: Model worker processes; each runs the pipeline on one core.
    workers: int = field(default_factory=available_cpus)
    #: An installed model package name or a model directory.
    model: str = "en_core_web_md"
    #: `ner` runs only the entity recognizer; `full` runs every component of the model.
    pipeline: str = "ner"
    #: Longest accepted text, in code points.
    max_text_chars: int = 100_000
    #: Most documents in one BatchExtractEntities call.
    max_batch_documents: int = 1_000
    #: Largest request or response message, in bytes.
    max_message_bytes: int = 16 * 1024 * 1024
    #: Most documents a worker runs through `nlp.pipe` at once.
    batch_max_documents: int = 64
    #: Most characters a worker runs through `nlp.pipe` at once (one over-long text still runs alone).
    batch_max_chars: int = 36_000
    #: Keep each worker on a CPU of its own (slot i on the i-th CPU this process may use).
    pin_workers: bool = True
    #: Seconds an idle worker keeps polling for its next batch before it sleeps; a worker that
    #: never sleeps between calls keeps its core and caches, which halves a short text's latency.
    worker_spin_seconds: float = 0.002
    #: Batches sent ahead to each worker, so it never waits for the front process between batches.
    batches_in_flight_per_worker: int = 1
    #: Documents waiting for a worker before new calls are refused with RESOURCE_EXHAUSTED.
    max_queued_documents: int = 2_048
    #: Characters waiting for a worker before new calls are refused with RESOURCE_EXHAUSTED.
    max_queued_chars: int = 8_000_000
    #: Documents of one stream read ahead of the results already sent back.
    stream_window: int = 256
    #: Seconds in-flight calls get to finish after SIGTERM (Cloud Run allows 10 in all).
    grace_seconds: float = 8.0
    #: Log level name for the JSON log on stdout.
    log_level: str = "INFO"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
