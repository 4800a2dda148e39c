"""The server's Prometheus histograms, read over HTTP, and what one load run added to them.

`snapshot(port)` fetches `http://127.0.0.1:PORT/metrics` and keeps every histogram;
`distribution(before, after, name)` is the run's share of one of them: documents (or characters)
per batch, counted per bucket, with the mean. Parsed with prometheus_client when it is installed
(the `bench` extra), else with the few lines below, enough for the text format's histograms.
"""

from __future__ import annotations

import math
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

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
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return _parse(text)
    return [
        (
            family.name,
            family.type,
            [(sample.name, dict(sample.labels), sample.value) for sample in family.samples],
        )
        for family in text_string_to_metric_families(text)
    ]


def _parse(text: str) -> list[tuple[str, str, Samples]]:
    """The text format's `# TYPE` lines and samples; label values may not contain `,` or `}`."""
    kinds: dict[str, str] = {}
    samples: dict[str, Samples] = defaultdict(list)
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            kinds[name] = kind.strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        head, _, rest = line.rpartition("}") if "}" in line else ("", "", line)
        if head:
            sample_name, _, label_text = head.partition("{")
            value = rest.split()[0]
        else:
            sample_name, value = rest.split()[:2]
            label_text = ""
        labels = {}
        for pair in filter(None, (part.strip() for part in label_text.split(","))):
            key, _, quoted = pair.partition("=")
            labels[key.strip()] = quoted.strip().strip('"')
        samples[_family(sample_name, kinds)].append((sample_name, labels, float(value)))
    return [(name, kinds.get(name, "unknown"), samples[name]) for name in samples]


def _family(sample_name: str, kinds: dict[str, str]) -> str:
    for suffix in ("_bucket", "_sum", "_count", "_created"):
        base = sample_name.removesuffix(suffix)
        if base != sample_name and base in kinds:
            return base
    return sample_name
