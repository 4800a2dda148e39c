"""The run as text: per worker count a table per corpus and the front capacity; the extras; the targets.

The tables printed at the end of a run; `markdown` writes the same for docs/benchmarks.md.
"""

from __future__ import annotations

from typing import Any

from bench.suite import paired
from bench.suite.targets import Check

_LATENCY = f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
_HEAD = f"{'what':<30}{'docs/s':>9}{'words/s':>10}{_LATENCY}{'docs/batch':>11}  errors"


def corpus_table(name: str, corpus: dict[str, Any], workers: int) -> str:
    info = corpus["corpus"]
    lines = [
        f"== {name}, {workers_label(workers)}: {info['docs']} docs, {info['words_per_doc']:.0f} words/doc",
        _HEAD,
    ]
    ceiling = corpus.get("ceiling")
    if ceiling:
        label = f"ceiling {ceiling['processes']} proc, batch {ceiling['best_batch_size']}"
        if "runs_docs_per_s" in ceiling:
            label += " (faster of " + "/".join(f"{run:.0f}" for run in ceiling["runs_docs_per_s"]) + ")"
        lines.append(_row(label, ceiling))
    stock = corpus.get("ceiling_stock")
    if stock:
        lines.append(_row(f"ceiling with blis, batch {stock['best_batch_size']}", stock))
    for run in corpus.get("baseline", {}).get("runs", []):
        lines.append(_row(f"baseline c={run['concurrency']}", run))
    for run in corpus.get("service", {}).get("unary", []):
        lines.append(_row(f"service c={run['concurrency']} conn={run['connections']}", run))
    for run in corpus.get("service", {}).get("streams", []):
        lines.append(_row(f"service {run['streams']} stream(s), {run.get('client', 'python')}", run))
    if "paired" in corpus:
        lines += [f"  {line}" for line in paired.describe(corpus["paired"])]
    for part in ("ceiling", "baseline", "service"):
        section = corpus.get(part) or {}
        memory = section.get("memory")
        start = section.get("start_seconds", section.get("load_seconds"))
        if memory:
            lines.append(
                f"  {part:<9} memory RSS {memory['rss_mib']:.0f} MiB, PSS {memory['pss_mib']:.0f} MiB "
                f"over {memory['processes']} processes; start {start:.2f} s"
            )
    return "\n".join(lines)


def front_table(front: dict[str, Any], workers: int) -> str:
    """Calls/s of the floor and the service (without, then with metrics) and their ratio."""
    lines = [
        f"== front capacity, {workers_label(workers)}: one-word texts ({front['text']!r}), "
        f"unary c={front['concurrency']} on {front['connections']} connection, one stream (ghz); "
        f"the median of {front.get('rounds', 1)} rounds",
        f"{'what':<30}{'calls/s':>9}{'/ floor':>9}{'p50 ms':>9}{'p99 ms':>9}{'docs/batch':>11}  errors",
    ]
    rows = [("floor", front["floor"], None), ("service", front["service"], front["service"])]
    rows.append(("service, metrics on", front.get("service_metrics"), front.get("service_metrics")))
    for kind in ("unary", "stream"):
        for label, runs, service in rows:
            if runs is None:
                lines.append(f"{label + ' ' + kind:<30}{'n/a':>9}  ({front.get('metrics_skipped')})")
                continue
            run = runs[kind]
            ratio = service["ratio_to_floor"][kind] if service else None
            errors = ", ".join(f"{code} {count}" for code, count in run.get("errors", {}).items()) or "-"
            lines.append(
                f"{label + ' ' + kind:<30}{run['docs_per_s']:>9.0f}{_number(ratio, 9, '.2f')}"
                f"{_ms(run.get('p50_ms'))}{_ms(run.get('p99_ms'))}{_batch(run)}  {errors}"
            )
    return "\n".join(lines)


def targets_table(checks: list[Check]) -> str:
    lines = ["== targets", f"{'measure':<74}{'workers':>8}{'value':>9}  {'target':<8}{'verdict':<8}detail"]
    for check in checks:
        value = "-" if check.measured is None else f"{check.measured:.3g}"
        workers = "-" if check.workers is None else str(check.workers)
        lines.append(
            f"{check.name:<74}{workers:>8}{value:>9}  {check.target:<8}{check.verdict:<8}{check.detail}"
        )
    return "\n".join(lines)


def extras_text(results: dict[str, Any]) -> str:
    lines = []
    if "short_sentence" in results:
        short = results["short_sentence"]
        lines.append(f"short sentence c=1: p50 {short['p50_ms']:.2f} ms, p99 {short['p99_ms']:.2f} ms")
    if "memory_workers" in results:
        one, two = results["memory_workers"]["1"], results["memory_workers"]["2"]
        lines.append(
            f"PSS 1 worker {one['pss_mib']:.0f} MiB, 2 workers {two['pss_mib']:.0f} MiB "
            f"(x{results['memory_workers']['pss_ratio']:.2f}); "
            f"RSS {one['rss_mib']:.0f} / {two['rss_mib']:.0f} MiB"
        )
    if "distinct" in results:
        zone = results["distinct"]
        lines.append(
            f"{zone['count']} distinct paragraphs after {zone['warmup']}: "
            f"RSS {zone['rss_before_mib']:.0f} -> {zone['rss_after_mib']:.0f} MiB "
            f"({zone['rss_growth_pct']:+.1f}%), {zone['docs_per_s']:.0f} docs/s, errors {zone['errors'] or 0}"
        )
    return "\n".join(lines)


def idle_warning(results: dict[str, Any]) -> str:
    """A warning when something else kept the CPUs busy just before a part ran."""
    idle = {}
    for workers, section in results.get("by_workers", {}).items():
        for name, entry in section.get("corpora", {}).items():
            for part, share in entry.get("idle_before", {}).items():
                idle[f"{name} {part} ({workers_label(int(workers))})"] = share
        if "front_idle_before" in section:
            idle[f"front capacity ({workers_label(int(workers))})"] = section["front_idle_before"]
    if not idle:
        return "idle share before each part not measured"
    busy = {label: share for label, share in idle.items() if share < 0.9}
    if not busy:
        return "machine idle before every part (>= 90% idle over 1 s)"
    listed = ", ".join(f"{label} {share:.0%}" for label, share in busy.items())
    return f"WARNING: the machine was busy with other work, ratios are unreliable (idle before: {listed})"


def workers_label(workers: int) -> str:
    return f"{workers} worker{'' if workers == 1 else 's'}"


def _row(label: str, run: dict[str, Any]) -> str:
    errors = ", ".join(f"{code} {count}" for code, count in run.get("errors", {}).items()) or "-"
    return (
        f"{label:<30}{run['docs_per_s']:>9.1f}{run['words_per_s']:>10.0f}"
        f"{_ms(run.get('p50_ms'))}{_ms(run.get('p95_ms'))}{_ms(run.get('p99_ms'))}{_batch(run)}  {errors}"
    )


def _ms(value: float | None) -> str:
    return _number(value, 9, ".1f")


def _batch(run: dict[str, Any]) -> str:
    """Mean documents per batch of the run, when the server served metrics."""
    return _number((run.get("batch_documents") or {}).get("mean"), 11, ".1f")


def _number(value: float | None, width: int, spec: str) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"
