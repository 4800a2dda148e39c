"""The service as the benchmark runs it: `ner-server` with the run's flags, and the service part.

`Service` starts a `tests.support.ServerProcess` with the workers, pipeline and extra flags asked for
and, when asked for metrics and `ner-server --help` knows `--metrics-port`, on a free metrics port,
so that `measured` can record the batches each load run made (scraped before and after it).
`measure` is the service part of one corpus: ghz unary runs, then streams through the Python
client and through ghz.

Backs docs/benchmarks.md: the service rows of "Latest figures".
"""

from __future__ import annotations

import functools
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.corpus import ROOT, Corpus
from bench.suite import scrape
from bench.suite.grpc_load import run_ghz, run_ghz_streams
from bench.suite.http_load import free_port
from bench.suite.memory import tree_memory
from bench.suite.stream_load import run_streams
from tests.support import ServerProcess

METRICS_FLAG = "--metrics-port"


@functools.cache
def server_has_flag(flag: str) -> bool:
    """Whether `ner-server --help` lists `flag`."""
    done = subprocess.run(
        [sys.executable, "-m", "ner_server", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    return flag in done.stdout.split()


class Service:
    """A started `ner-server`; `metrics_port` is None when it serves no metrics."""

    def __init__(self, workers: int, pipeline: str, server_args: str = "", metrics: bool = False) -> None:
        args = ["--workers", str(workers), "--pipeline", pipeline, *server_args.split()]
        self.metrics_port: int | None = None
        if METRICS_FLAG in args:
            self.metrics_port = int(args[args.index(METRICS_FLAG) + 1])
        elif metrics and server_has_flag(METRICS_FLAG):
            self.metrics_port = free_port()
            args += [METRICS_FLAG, str(self.metrics_port)]
        self.workers = workers
        self.process = ServerProcess(args)
        self.start_seconds = self.process.wait_serving()

    @property
    def address(self) -> str:
        return self.process.address

    @property
    def pid(self) -> int:
        return self.process.pid

    def measured(self, load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`load()`'s result, with the batches it made when the server serves metrics."""
        before = self._snapshot()
        run = load()
        after = self._snapshot()
        if before is not None and after is not None:
            run["batch_documents"] = scrape.distribution(before, after, scrape.BATCH_DOCUMENTS)
            run["batch_bytes"] = scrape.distribution(before, after, scrape.BATCH_BYTES)
        return run

    def stop(self) -> None:
        self.process.stop()

    def _snapshot(self) -> dict[str, scrape.Histogram] | None:
        if self.metrics_port is None:
            return None
        try:
            return scrape.snapshot(self.metrics_port)
        except OSError as error:
            print(f"metrics at port {self.metrics_port} not read: {error}", file=sys.stderr)
            return None


@dataclass(frozen=True)
class Loads:
    """What the service part runs on each corpus (from bench.suite.run's options)."""

    seconds: float
    concurrencies: list[int]
    connections: int
    streams: int
    limit: int | None


def measure(service: Service, path: str, corpus: Corpus, loads: Loads) -> dict[str, Any]:
    """ghz unary at each concurrency over 1 and `loads.connections` connections, then streams."""
    seconds = loads.seconds
    run_ghz(service.address, corpus.texts, 8, 1, min(seconds, 2.0), corpus.words_per_doc)
    unary = [
        service.measured(
            functools.partial(
                run_ghz,
                service.address,
                corpus.texts,
                concurrency,
                connections,
                seconds,
                corpus.words_per_doc,
            )
        )
        for concurrency in loads.concurrencies
        for connections in sorted({1, min(loads.connections, concurrency)})
    ]
    counts = sorted({1, loads.streams})
    streams = [
        service.measured(functools.partial(run_streams, service.address, path, count, seconds, loads.limit))
        for count in counts
    ]
    for count, python_run in zip(counts, list(streams), strict=True):
        # As long as the Python client's run: the corpus repeated to fill `seconds`.
        repeat = max(1, math.ceil(python_run["docs_per_s"] * seconds / count / len(corpus.texts)))
        streams.append(
            service.measured(
                functools.partial(
                    run_ghz_streams, service.address, corpus.texts, count, repeat, corpus.words_per_doc
                )
            )
        )
    return {
        "start_seconds": service.start_seconds,
        "metrics": service.metrics_port is not None,
        "memory": tree_memory(service.pid).as_dict(),
        "unary": unary,
        "streams": streams,
    }
