"""The extras, measured once per run: memory with 1 and 2 workers, one short sentence, distinct paragraphs.

Backs docs/benchmarks.md: one short sentence, memory with 1 and 2 workers, distinct
paragraphs.
"""

from __future__ import annotations

from typing import Any

from bench import corpus as corpora
from bench.suite.grpc_load import run_ghz
from bench.suite.memory import tree_memory
from bench.suite.service import Service
from bench.suite.stream_load import run_distinct, run_streams


def measure(pipeline: str, server_args: str, metrics: bool, seconds: float, distinct: int) -> dict[str, Any]:
    """PSS with 1 worker and with 2 after the same warm-up; with 2, one short sentence at c=1 and
    `distinct` never-seen paragraphs after a tenth as many of warm-up."""
    paragraphs = str(corpora.PARAGRAPHS)
    warm_seconds = min(seconds, 3.0)
    extras: dict[str, Any] = {"memory_workers": {}}
    for workers in (1, 2):
        running = Service(workers, pipeline, server_args, metrics)
        try:
            run_streams(running.address, paragraphs, workers, warm_seconds)
            extras["memory_workers"][str(workers)] = {
                "start_seconds": running.start_seconds,
                **tree_memory(running.pid).as_dict(),
            }
            if workers == 2:
                extras["short_sentence"] = run_ghz(
                    running.address, (corpora.SHORT_SENTENCE,), 1, 1, seconds, 8
                )
                extras["distinct"] = measure_distinct(running, distinct)
        finally:
            running.stop()
    one, two = extras["memory_workers"]["1"], extras["memory_workers"]["2"]
    extras["memory_workers"]["pss_ratio"] = two["pss_mib"] / one["pss_mib"]
    return extras


def measure_distinct(running: Service, count: int) -> dict[str, Any]:
    warmup = max(count // 10, 500)
    paragraphs = str(corpora.PARAGRAPHS)
    run_distinct(running.address, paragraphs, 2, 0, warmup)
    before = tree_memory(running.pid)
    load = run_distinct(running.address, paragraphs, 2, warmup, count)
    after = tree_memory(running.pid)
    return {
        "warmup": warmup,
        "count": count,
        "docs_per_s": load["docs_per_s"],
        "errors": load["errors"],
        "rss_before_mib": before.rss_mib,
        "rss_after_mib": after.rss_mib,
        "pss_before_mib": before.pss_mib,
        "pss_after_mib": after.pss_mib,
        "rss_growth_pct": (after.rss_mib / before.rss_mib - 1) * 100,
    }
