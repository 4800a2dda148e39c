"""One run as Markdown (`summary.md` beside `results.json`), to paste into docs/benchmarks.md.

.venv/bin/python -m bench.suite.markdown bench/results/2026-12-02T0301-full-run/results.json

Backs docs/benchmarks.md, "Latest figures": its tables come from `summary.md`.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench.suite import paired
from bench.suite.report import idle_warning, workers_label


def render(results: dict[str, Any]) -> str:
    parts = [_machine(results), idle_warning(results), _targets(results)]
    for workers, section in results.get("by_workers", {}).items():
        parts.append(f"### {workers_label(int(workers))}")
        parts += [_corpus(name, entry) for name, entry in section.get("corpora", {}).items()]
        if section.get("front"):
            parts.append(_front(section["front"]))
    parts += [_extras(results), _idle(results)]
    return "\n\n".join(part for part in parts if part) + "\n"


def _machine(results: dict[str, Any]) -> str:
    info = results["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items() if version)
    tools = ", ".join(version for version in info["tools"].values() if version)
    return (
        f"Run of {results['started']}, {results.get('elapsed_seconds', 0):.0f} s. "
        f"Machine: {info['cpus']} CPUs "
        f"({info['cpu_model']}), {info['memory_gib']} GiB, {info['os']}, Linux {info['kernel']}, "
        f"Python {info['python']}; load average at start {info['load_average_at_start'][0]:.2f}. "
        f"Versions: {packages}; {tools}. Options: `{_options(results['options'])}`."
    )


def _options(options: dict[str, Any]) -> str:
    keys = (
        "seconds",
        "concurrencies",
        "batch_sizes",
        "connections",
        "streams",
        "workers",
        "pipeline",
        "distinct",
    )
    return " ".join(f"{key}={options[key]}" for key in keys if key in options)


def _targets(results: dict[str, Any]) -> str:
    rows = ["| measure | workers | value | target | verdict | detail |", "|---|---:|---:|---|---|---|"]
    for check in results.get("targets", []):
        value = "-" if check["measured"] is None else f"{check['measured']:.3g}"
        workers = check.get("workers") or "-"
        cells = f"{check['name']} | {workers} | {value} | {check['target']} | {check['verdict']}"
        rows.append(f"| {cells} | {check['detail']} |")
    return "\n".join(rows)


def _corpus(name: str, entry: dict[str, Any]) -> str:
    info = entry["corpus"]
    rows = [
        f"**{name}** ({info['docs']} documents, {info['words_per_doc']:.0f} words each on average)",
        "",
        "| what | docs/s | words/s | p50 ms | p95 ms | p99 ms | docs/batch | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    if "ceiling" in entry:
        ceiling = entry["ceiling"]
        rows.append(
            _row(
                f"ceiling, {ceiling['processes']} processes, batch {ceiling['best_batch_size']}"
                + _runs(ceiling),
                ceiling,
            )
        )
    if "ceiling_stock" in entry:
        stock = entry["ceiling_stock"]
        rows.append(
            _row(
                f"ceiling with blis (spaCy's default multiply), batch {stock['best_batch_size']}",
                stock,
            )
        )
    for run in entry.get("baseline", {}).get("runs", []):
        rows.append(_row(f"FastAPI baseline c={run['concurrency']}", run))
    for run in entry.get("service", {}).get("unary", []):
        rows.append(_row(f"service unary c={run['concurrency']}, {run['connections']} conn", run))
    for run in entry.get("service", {}).get("streams", []):
        rows.append(_row(f"service, {run['streams']} stream(s), {run.get('client', 'python')} client", run))
    if "paired" in entry:
        rows += ["", *(f"- {line}" for line in paired.describe(entry["paired"]))]
    rows += ["", "| process tree | RSS MiB | PSS MiB | processes | start s |", "|---|---:|---:|---:|---:|"]
    for part in ("ceiling", "baseline", "service"):
        section = entry.get(part)
        if section and section.get("memory"):
            memory, start = section["memory"], section.get("start_seconds", section.get("load_seconds"))
            cells = f"{memory['rss_mib']:.0f} | {memory['pss_mib']:.0f} | {memory['processes']} | {start:.2f}"
            rows.append(f"| {part} | {cells} |")
    return "\n".join(rows)


def _row(label: str, run: dict[str, Any]) -> str:
    errors = ", ".join(f"{code} {count}" for code, count in run.get("errors", {}).items()) or "-"
    cells = [f"{run[key]:.1f}" if run.get(key) is not None else "-" for key in ("p50_ms", "p95_ms", "p99_ms")]
    batch = (run.get("batch_documents") or {}).get("mean")
    cells.append("-" if batch is None else f"{batch:.1f}")
    return (
        f"| {label} | {run['docs_per_s']:.1f} | {run['words_per_s']:.0f} | {' | '.join(cells)} | {errors} |"
    )


def _extras(results: dict[str, Any]) -> str:
    lines = []
    if "short_sentence" in results:
        short = results["short_sentence"]
        lines.append(
            f"- One short sentence at c=1: p50 {short['p50_ms']:.2f} ms, p99 {short['p99_ms']:.2f} ms."
        )
    if "memory_workers" in results:
        memory = results["memory_workers"]
        lines.append(
            f"- PSS with 1 worker {memory['1']['pss_mib']:.0f} MiB, "
            f"with 2 workers {memory['2']['pss_mib']:.0f} MiB "
            f"(x{memory['pss_ratio']:.2f})."
        )
    if "distinct" in results:
        zone = results["distinct"]
        lines.append(
            f"- {zone['count']:,} distinct paragraphs after {zone['warmup']:,} of warm-up: RSS "
            f"{zone['rss_before_mib']:.0f} -> {zone['rss_after_mib']:.0f} MiB "
            f"({zone['rss_growth_pct']:+.1f}%)."
        )
    return "\n".join(lines)


def _front(front: dict[str, Any]) -> str:
    rows = [
        f"**Front capacity**: one-word texts ({front['text']!r}), ghz unary c={front['concurrency']} on "
        f"{front['connections']} connection and one stream, against a bare grpc.aio floor; the median "
        f"of {front.get('rounds', 1)} rounds, each load on each server in turn",
        "",
        "| what | calls/s | / floor | p50 ms | p99 ms | docs/batch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in ("unary", "stream"):
        for label, key in (
            ("floor", "floor"),
            ("service", "service"),
            ("service, metrics on", "service_metrics"),
        ):
            runs = front.get(key)
            if runs is None:
                rows.append(f"| {label}, {kind} | n/a ({front.get('metrics_skipped')}) | | | | |")
                continue
            run, ratio = runs[kind], runs.get("ratio_to_floor", {}).get(kind)
            cells = [_or_dash(run.get(name), ".1f") for name in ("p50_ms", "p99_ms")]
            cells.append(_or_dash((run.get("batch_documents") or {}).get("mean"), ".1f"))
            head = f"| {label}, {kind} | {run['docs_per_s']:.0f} | {_or_dash(ratio, '.2f')}"
            rows.append(f"{head} | {' | '.join(cells)} |")
    return "\n".join(rows)


def _idle(results: dict[str, Any]) -> str:
    idle = results.get("idle")
    if not idle:
        return ""
    return f"- Idle clients, front process: {idle['summary']}."


def _or_dash(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _runs(ceiling: dict[str, Any]) -> str:
    runs = ceiling.get("runs_docs_per_s")
    if not runs:
        return ""
    return " (faster of " + " and ".join(f"{run:.1f}" for run in runs) + ")"


if __name__ == "__main__":
    print(render(json.loads(open(sys.argv[1]).read())), end="")
