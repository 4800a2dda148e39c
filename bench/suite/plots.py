"""PNG plots of one run: per corpus and worker count, throughput and latency against concurrency.

matplotlib comes with the `bench` extra; where it is missing (the 16-core machine's bundle), the
run skips its plots and says so. To draw them afterwards, beside the results:

    .venv/bin/python -m bench.suite.plots RESULTS_DIR/results.json

Backs docs/benchmarks.md: the plots of a run, beside its `results.json`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.suite.report import workers_label


def write_all(results: dict[str, Any], out_dir: Path) -> str:
    """One PNG per corpus and worker count (`<corpus>.png`, or `<corpus>-w<N>.png` in a sweep)."""
    try:
        import matplotlib
    except ImportError:
        return "plots skipped: matplotlib is not installed (the bench extra)"
    matplotlib.use("Agg")
    sections = results.get("by_workers", {})
    paths = [
        plot_corpus(name, entry, out_dir, int(workers), suffix=f"-w{workers}" if len(sections) > 1 else "")
        for workers, section in sections.items()
        for name, entry in section.get("corpora", {}).items()
    ]
    return "plots: " + (", ".join(path.name for path in paths) or "none (no corpus part ran)")


def plot_corpus(name: str, corpus: dict[str, Any], out_dir: Path, workers: int, suffix: str = "") -> Path:
    """`<name><suffix>.png`: docs/s vs concurrency (service, baseline, ceiling, streams) and latency."""
    import matplotlib.pyplot as plt

    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(13, 5))
    service = corpus.get("service", {})
    groups = zip(_connection_groups(service.get("unary", [])), _COLORS, strict=False)
    for (connections, marker), color in groups:
        runs = [
            run for run in service["unary"] if run["connections"] == connections or run["concurrency"] == 1
        ]
        label = f"service unary, {connections} connection{'s' if connections > 1 else ''}"
        _line(throughput, runs, "docs_per_s", label, marker, color=color)
        for key, style in (("p50_ms", "-"), ("p99_ms", ":")):
            _line(latency, runs, key, f"service {connections} conn {key[:3]}", marker, style, color=color)
    baseline = corpus.get("baseline", {}).get("runs", [])
    if baseline:
        label = f"FastAPI baseline (uvicorn, {workers_label(workers)})"
        _line(throughput, baseline, "docs_per_s", label, "s", color="grey")
        for key, style in (("p50_ms", "-"), ("p99_ms", ":")):
            _line(latency, baseline, key, f"baseline {key[:3]}", "s", style, color="grey")
    ceiling = corpus.get("ceiling", {}).get("docs_per_s")
    if ceiling:
        label = f"ceiling (nlp.pipe in-process, {workers} processes)"
        throughput.axhline(ceiling, color="black", linestyle="--", label=label)
    stream_colors = ("tab:green", "tab:olive", "tab:cyan", "tab:pink")
    for run, color in zip(service.get("streams", []), stream_colors, strict=False):
        label = f"{run['streams']} stream(s), {run.get('client', 'python')} client"
        throughput.axhline(run["docs_per_s"], color=color, linestyle="-.", label=label)
    throughput.set(
        xscale="log",
        xlabel="concurrent calls",
        ylabel="documents/s",
        title=f"{name}, {workers_label(workers)}: throughput",
    )
    throughput.set_ylim(bottom=0)
    latency.set(
        xscale="log",
        yscale="log",
        xlabel="concurrent calls",
        ylabel="ms",
        title=f"{name}, {workers_label(workers)}: latency",
    )
    concurrencies = sorted({run["concurrency"] for run in [*service.get("unary", []), *baseline]})
    for axes in (throughput, latency):
        if concurrencies:
            axes.set_xticks(concurrencies, [str(value) for value in concurrencies])
            axes.minorticks_off()
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    path = out_dir / f"{name}{suffix}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


_COLORS = ("tab:blue", "tab:orange", "tab:red", "tab:purple")


def _connection_groups(runs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    counts = sorted({run["connections"] for run in runs if run["concurrency"] > 1} or {1})
    return list(zip(counts, "o^v<>", strict=False))


def _line(
    axes: Any, runs: list[dict[str, Any]], key: str, label: str, marker: str, style: str = "-", **kw: Any
) -> None:
    points = sorted((run["concurrency"], run[key]) for run in runs if run.get(key) is not None)
    if points:
        axes.plot(*zip(*points, strict=True), marker=marker, linestyle=style, label=label, **kw)


if __name__ == "__main__":
    results_path = Path(sys.argv[1])
    print(write_all(json.loads(results_path.read_text()), results_path.parent))
