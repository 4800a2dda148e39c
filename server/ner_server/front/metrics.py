"""Prometheus metrics of the front process, served over HTTP at /metrics when a port is set.

Every count is kept here, in the front: workers report their documents' entity counts in their
answers, so nothing is lost when a worker dies. The counts are plain numbers updated by the event
loop alone (no locks on the hot path) and turned into metric families when /metrics is read, in
prometheus-client's server thread. Off (`Metrics.off()`), every hook is a no-op and
prometheus-client is never imported.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ner_server.shared.messages import Answer
from ner_server.shared.model_info import ModelInfo

log = logging.getLogger(__name__)

__all__ = ["Metrics"]

_BATCH_DOCUMENTS = (1, 2, 4, 8, 16, 32, 64, 128)
_BATCH_BYTES = (256, 1_024, 4_096, 16_384, 36_000, 72_000, 262_144, 1_048_576)
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _Histogram:
    """Counts per bucket (`le` bounds) and their sum."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        running = 0
        buckets: list[tuple[str, float]] = []
        for bound, count in zip([*map(str, self.bounds), "+Inf"], list(self.counts), strict=True):
            running += count
            buckets.append((bound, running))
        return buckets


class Metrics:
    """The hooks the servicer, batcher and pool call; `serve` starts the HTTP endpoint."""

    def __init__(self) -> None:
        self._enabled = True
        self._calls: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._call_seconds: defaultdict[str, _Histogram] = defaultdict(lambda: _Histogram(_SECONDS))
        self._shed = 0
        self._documents = 0
        self._entities = 0
        self._batch_documents = _Histogram(_BATCH_DOCUMENTS)
        self._batch_bytes = _Histogram(_BATCH_BYTES)
        self._queue_wait = _Histogram(_SECONDS)
        self._restarts = {"worker": 0, "fork_server": 0}
        self._queued: Callable[[], int] = lambda: 0
        self._ready_workers: Callable[[], int] = lambda: 0
        self._model: dict[str, str] = {}

    @classmethod
    def off(cls) -> Metrics:
        metrics = cls()
        metrics._enabled = False
        return metrics

    def serve(self, port: int) -> None:
        from prometheus_client import REGISTRY, start_http_server

        REGISTRY.register(_Collector(self))
        start_http_server(port)
        log.info("metrics", extra={"port": port, "path": "/metrics"})

    def watch(self, queued: Callable[[], int], ready_workers: Callable[[], int]) -> None:
        self._queued, self._ready_workers = queued, ready_workers

    def model_loaded(self, info: ModelInfo) -> None:
        self._model = {
            "model": info.name,
            "version": info.version,
            "spacy_version": info.spacy_version,
            "pipeline": ",".join(info.pipeline),
        }

    def call(self, method: str, code: str, seconds: float) -> None:
        if self._enabled:
            self._calls[method, code] += 1
            self._call_seconds[method].observe(seconds)
            if code == "RESOURCE_EXHAUSTED":
                self._shed += 1

    def batch_sent(self, documents: int, size: int, waits: Sequence[float]) -> None:
        if self._enabled:
            self._batch_documents.observe(documents)
            self._batch_bytes.observe(size)
            for wait in waits:
                self._queue_wait.observe(wait)

    def batch_answered(self, answer: Answer) -> None:
        if self._enabled:
            self._documents += len(answer.outcomes)
            self._entities += answer.entities

    def restarted(self, process: str) -> None:
        self._restarts[process] += 1


class _Collector:
    """The counts as metric families, made when /metrics is read."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
            InfoMetricFamily,
        )

        m = self._m
        calls = CounterMetricFamily("ner_calls", "Completed NerService calls", labels=["method", "code"])
        for (method, code), count in list(m._calls.items()):
            calls.add_metric([method, code], count)
        yield calls
        seconds = HistogramMetricFamily("ner_call_seconds", "NerService call duration", labels=["method"])
        for method, histogram in list(m._call_seconds.items()):
            seconds.add_metric([method], histogram.cumulative(), histogram.sum)
        yield seconds
        yield CounterMetricFamily("ner_shed_calls", "Calls refused with RESOURCE_EXHAUSTED", value=m._shed)
        yield CounterMetricFamily("ner_documents", "Documents answered by a worker", value=m._documents)
        yield CounterMetricFamily("ner_entities", "Entities in the documents answered", value=m._entities)
        for name, documentation, histogram in (
            ("ner_batch_documents", "Documents per batch sent to a worker", m._batch_documents),
            ("ner_batch_bytes", "Request bytes per batch sent to a worker", m._batch_bytes),
            ("ner_queue_wait_seconds", "Time a document waited in the queue for a worker", m._queue_wait),
        ):
            family = HistogramMetricFamily(name, documentation)
            family.add_metric([], histogram.cumulative(), histogram.sum)
            yield family
        restarts = CounterMetricFamily(
            "ner_restarts", "Model processes that died and were replaced", labels=["process"]
        )
        for process, count in m._restarts.items():
            restarts.add_metric([process], count)
        yield restarts
        yield GaugeMetricFamily("ner_queue_documents", "Documents waiting for a worker", value=m._queued())
        yield GaugeMetricFamily("ner_workers_ready", "Workers that can take work", value=m._ready_workers())
        yield InfoMetricFamily("ner_model", "The model being served", value=m._model)
