"""The run as text: one table per corpus, then the extra measures and the targets."""

from __future__ import annotations

from typing import Any

from bench.targets import Check

_HEAD = f"{'what':<30}{'docs/s':>9}{'words/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  errors"


def corpus_table(name: str, corpus: dict[str, Any]) -> str:
    info = corpus["corpus"]
    lines = [f"== {name}: {info['docs']} docs, {info['words_per_doc']:.0f} words/doc", _HEAD]
    ceiling = corpus.get("ceiling")
    if ceiling:
        label = f"ceiling {ceiling['processes']} proc, batch {ceiling['best_batch_size']}"
        if "runs_docs_per_s" in ceiling:
            label += " (faster of " + "/".join(f"{run:.0f}" for run in ceiling["runs_docs_per_s"]) + ")"
        lines.append(_row(label, ceiling))
    for run in corpus.get("baseline", {}).get("runs", []):
        lines.append(_row(f"baseline c={run['concurrency']}", run))
    for run in corpus.get("service", {}).get("unary", []):
        lines.append(_row(f"service c={run['concurrency']} conn={run['connections']}", run))
    for run in corpus.get("service", {}).get("streams", []):
        lines.append(_row(f"service {run['streams']} stream(s), {run.get('client', 'python')}", run))
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


def targets_table(checks: list[Check]) -> str:
    lines = ["== targets", f"{'measure':<58}{'value':>10}  {'target':<8}{'verdict':<8}detail"]
    for check in checks:
        value = "-" if check.measured is None else f"{check.measured:.3g}"
        lines.append(f"{check.name:<58}{value:>10}  {check.target:<8}{check.verdict:<8}{check.detail}")
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
    idle = {
        f"{name} {part}": share
        for name, entry in results.get("corpora", {}).items()
        for part, share in entry.get("idle_before", {}).items()
    }
    if not idle:
        return "idle share before each part not measured"
    busy = {label: share for label, share in idle.items() if share < 0.9}
    if not busy:
        return "machine idle before every part (>= 90% idle over 1 s)"
    listed = ", ".join(f"{label} {share:.0%}" for label, share in busy.items())
    return f"WARNING: the machine was busy with other work, ratios are unreliable (idle before: {listed})"


def _row(label: str, run: dict[str, Any]) -> str:
    errors = ", ".join(f"{code} {count}" for code, count in run.get("errors", {}).items()) or "-"
    return (
        f"{label:<30}{run['docs_per_s']:>9.1f}{run['words_per_s']:>10.0f}"
        f"{_ms(run.get('p50_ms'))}{_ms(run.get('p95_ms'))}{_ms(run.get('p99_ms'))}  {errors}"
    )


def _ms(value: float | None) -> str:
    return f"{'-':>9}" if value is None else f"{value:>9.1f}"
