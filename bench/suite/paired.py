"""The ratio targets' loads, each run in pairs with the ceiling: the ratio of one moment, not of two.

This machine's speed drifts by 10 to 20% within a minute, so a ceiling measured minutes away from a
service load says little about that load. Here each round runs the ceiling (its best batch size,
in a fresh interpreter) and the service load back to back, the one first in even rounds and the
other first in odd ones, and keeps their ratio. The targets are checked on the median round.

Backs docs/benchmarks.md: the ratio targets' medians ("Targets", "Latest figures").
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable
from typing import Any

from bench.corpus import Corpus
from bench.suite.grpc_load import run_ghz, run_ghz_streams
from bench.suite.service import Service


def measure(
    service: Service,
    corpus: Corpus,
    ceiling_run: Callable[[], dict[str, Any]],
    ceiling_docs_per_s: float,
    concurrencies: list[int],
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    """Unary at each of `concurrencies` on one connection, then one ghz stream, each paired `rounds` times.

    `unary` is keyed by concurrency (as text, as JSON keeps it), `stream` holds the stream's rounds.
    """
    # The stream sends the corpus as often as the ceiling gets through in `seconds`.
    repeat = max(1, math.ceil(ceiling_docs_per_s * seconds / len(corpus.texts)))
    words = corpus.words_per_doc
    stream = functools.partial(run_ghz_streams, service.address, corpus.texts, 1, repeat, words)

    def paired(load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        runs = [_round(service, load, ceiling_run, ceiling_first=index % 2 == 0) for index in range(rounds)]
        return {"rounds": runs, "median_ratio": statistics.median(run["ratio"] for run in runs)}

    unary = {
        str(concurrency): paired(
            functools.partial(run_ghz, service.address, corpus.texts, concurrency, 1, seconds, words)
        )
        for concurrency in concurrencies
    }
    return {"seconds": seconds, "unary": unary, "stream": paired(stream)}


def _round(
    service: Service,
    load: Callable[[], dict[str, Any]],
    ceiling_run: Callable[[], dict[str, Any]],
    ceiling_first: bool,
) -> dict[str, Any]:
    if ceiling_first:
        ceiling = ceiling_run()
        run = service.measured(load)
    else:
        run = service.measured(load)
        ceiling = ceiling_run()
    return {
        "first": "ceiling" if ceiling_first else "service",
        "service_docs_per_s": run["docs_per_s"],
        "ceiling_docs_per_s": ceiling["docs_per_s"],
        "ratio": run["docs_per_s"] / ceiling["docs_per_s"],
        "errors": run["errors"],
        "batch_documents": run.get("batch_documents"),
    }


def describe(paired: dict[str, Any]) -> list[str]:
    """A line per load: each round's service and ceiling docs/s, their ratio, and the median."""
    loads = [(f"unary c={concurrency}, 1 conn", runs) for concurrency, runs in paired["unary"].items()]
    lines = []
    for label, load in [*loads, ("one ghz stream", paired["stream"])]:
        each = "; ".join(
            f"{run['service_docs_per_s']:.1f} vs {run['ceiling_docs_per_s']:.1f} = {run['ratio']:.3f}"
            for run in load["rounds"]
        )
        lines.append(
            f"paired with the ceiling, {label}, {paired['seconds']:g} s a side: {each}; "
            f"median {load['median_ratio']:.3f}"
        )
    return lines
