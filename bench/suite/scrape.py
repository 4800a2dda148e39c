"""The server's Prometheus histograms, read over HTTP, and what one load run added to them.

`snapshot(port)` fetches `http://127.0.0.1:PORT/metrics` and keeps every histogram;
`distribution(before, after, name)` is the run's share of one of them: documents (or characters)
per batch, counted per bucket, with the mean. Parsed with prometheus_client (a server dependency).

Backs docs/benchmarks.md: documents per batch in the tables.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

BATCH_DOCUMENTS = "ner_batch_documents"
BATCH_BYTES = "ner_batch_bytes"


@dataclass
class Histogram:
    """Cumulative counts by upper bound (`le`, as written: "1", "+Inf"), summed over other labels."""

    buckets: dict[str, float] = field(default_factory=dict)
    sum: float = 0.0
    count: float = 0.0


def fetch(port: int, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as response:
        return str(response.read().decode("utf-8"))


def snapshot(port: int) -> dict[str, Histogram]:
    return parse_histograms(fetch(port))


def parse_histograms(text: str) -> dict[str, Histogram]:
    """Every histogram of a Prometheus text exposition, by metric name."""
    found: dict[str, Histogram] = defaultdict(Histogram)
    for name, kind, samples in _families(text):
        if kind != "histogram":
            continue
        histogram = found[name]
        for sample_name, labels, value in samples:
            if sample_name == f"{name}_bucket":
                bound = _bound(labels["le"])
                histogram.buckets[bound] = histogram.buckets.get(bound, 0.0) + value
            elif sample_name == f"{name}_sum":
                histogram.sum += value
            elif sample_name == f"{name}_count":
                histogram.count += value
    return dict(found)


def distribution(
    before: dict[str, Histogram], after: dict[str, Histogram], name: str
) -> dict[str, Any] | None:
    """What happened between two snapshots: batches per bucket (not cumulative), count, sum, mean."""
    if name not in after:
        return None
    old, new = before.get(name, Histogram()), after[name]
    bounds = sorted(new.buckets, key=float)
    cumulative = [new.buckets[bound] - old.buckets.get(bound, 0.0) for bound in bounds]
    counts = [later - earlier for earlier, later in zip([0.0, *cumulative], cumulative, strict=False)]
    count, total = new.count - old.count, new.sum - old.sum
    return {
        "buckets": {bound: int(value) for bound, value in zip(bounds, counts, strict=True)},
        "count": int(count),
        "sum": total,
        "mean": total / count if count else None,
    }


def _bound(text: str) -> str:
    """One spelling per bound: "1.0" and "1" both become "1", inf becomes "+Inf"."""
    value = float(text)
    if math.isinf(value):
        return "+Inf"
    return f"{value:g}"


Samples = list[tuple[str, dict[str, str], float]]


def _families(text: str) -> list[tuple[str, str, Samples]]:
    return [
        (
            family.name,
            family.type,
            [(sample.name, dict(sample.labels), sample.value) for sample in family.samples],
        )
        for family in text_string_to_metric_families(text)
    ]
