"""Prometheus metrics of the front process, served over HTTP at /metrics when a port is set.

Every count is kept here, in the front: workers report their documents' entity counts in their
answers, so nothing is lost when a worker dies. Off (`Metrics.off()`), every hook is a no-op and
prometheus-client is never imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ner_server.model import ModelInfo
from ner_server.pool.messages import Answer

log = logging.getLogger(__name__)

__all__ = ["Metrics"]

_BATCH_DOCUMENTS = (1, 2, 4, 8, 16, 32, 64, 128)
_BATCH_BYTES = (256, 1_024, 4_096, 16_384, 36_000, 65_536, 262_144, 1_048_576)
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """The hooks the servicer, batcher and pool call; `serve` starts the HTTP endpoint."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram, Info

        self._calls = Counter("ner_calls", "Completed NerService calls", ["method", "code"])
        self._call_seconds = Histogram(
            "ner_call_seconds", "NerService call duration", ["method"], buckets=_SECONDS
        )
        self._shed = Counter("ner_shed_calls", "Calls refused with RESOURCE_EXHAUSTED (load shedding)")
        self._documents = Counter("ner_documents", "Documents answered by a worker")
        self._entities = Counter("ner_entities", "Entities found in the documents answered")
        self._batch_documents = Histogram(
            "ner_batch_documents", "Documents per batch sent to a worker", buckets=_BATCH_DOCUMENTS
        )
        self._batch_bytes = Histogram(
            "ner_batch_bytes", "Request bytes per batch sent to a worker", buckets=_BATCH_BYTES
        )
        self._queue_wait = Histogram(
            "ner_queue_wait_seconds", "Time a document waited in the queue for a worker", buckets=_SECONDS
        )
        self._restarts = Counter("ner_restarts", "Model processes that died and were replaced", ["process"])
        for process in ("worker", "fork_server"):
            self._restarts.labels(process)
        self._queue = Gauge("ner_queue_documents", "Documents waiting for a worker")
        self._workers = Gauge("ner_workers_ready", "Workers that can take work")
        self._model = Info("ner_model", "The model being served")
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._enabled = True

    @classmethod
    def off(cls) -> Metrics:
        metrics = cls.__new__(cls)
        metrics._enabled = False
        return metrics

    def serve(self, port: int) -> None:
        from prometheus_client import start_http_server

        start_http_server(port)
        log.info("metrics", extra={"port": port, "path": "/metrics"})

    def watch(self, queued: Callable[[], int], ready_workers: Callable[[], int]) -> None:
        if self._enabled:
            self._queue.set_function(queued)
            self._workers.set_function(ready_workers)

    def model_loaded(self, info: ModelInfo) -> None:
        if self._enabled:
            self._model.info(
                {
                    "model": info.name,
                    "version": info.version,
                    "spacy_version": info.spacy_version,
                    "pipeline": ",".join(info.pipeline),
                }
            )

    def call(self, method: str, code: str, seconds: float) -> None:
        if not self._enabled:
            return
        children = self._children.get((method, code))
        if children is None:
            children = self._calls.labels(method, code), self._call_seconds.labels(method)
            self._children[method, code] = children
        children[0].inc()
        children[1].observe(seconds)
        if code == "RESOURCE_EXHAUSTED":
            self._shed.inc()

    def batch_sent(self, documents: int, size: int, waits: Sequence[float]) -> None:
        if not self._enabled:
            return
        self._batch_documents.observe(documents)
        self._batch_bytes.observe(size)
        for wait in waits:
            self._queue_wait.observe(wait)

    def batch_answered(self, answer: Answer) -> None:
        if self._enabled:
            self._documents.inc(len(answer.outcomes))
            self._entities.inc(answer.entities)

    def restarted(self, process: str) -> None:
        if self._enabled:
            self._restarts.labels(process).inc()
