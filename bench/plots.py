"""PNG plots of one run: per corpus, throughput and latency percentiles against concurrency."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_corpus(name: str, corpus: dict[str, Any], out_dir: Path) -> Path:
    """`<name>.png`: docs/s vs concurrency (service, baseline, ceiling, streams) and latency."""
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
        _line(throughput, baseline, "docs_per_s", "FastAPI baseline (uvicorn, 2 workers)", "s", color="grey")
        for key, style in (("p50_ms", "-"), ("p99_ms", ":")):
            _line(latency, baseline, key, f"baseline {key[:3]}", "s", style, color="grey")
    ceiling = corpus.get("ceiling", {}).get("docs_per_s")
    if ceiling:
        throughput.axhline(ceiling, color="black", linestyle="--", label="ceiling (nlp.pipe in-process)")
    stream_colors = ("tab:green", "tab:olive", "tab:cyan", "tab:pink")
    for run, color in zip(service.get("streams", []), stream_colors, strict=False):
        label = f"{run['streams']} stream(s), {run.get('client', 'python')} client"
        throughput.axhline(run["docs_per_s"], color=color, linestyle="-.", label=label)
    throughput.set(xscale="log", xlabel="concurrent calls", ylabel="documents/s", title=f"{name}: throughput")
    throughput.set_ylim(bottom=0)
    latency.set(xscale="log", yscale="log", xlabel="concurrent calls", ylabel="ms", title=f"{name}: latency")
    concurrencies = sorted({run["concurrency"] for run in [*service.get("unary", []), *baseline]})
    for axes in (throughput, latency):
        if concurrencies:
            axes.set_xticks(concurrencies, [str(value) for value in concurrencies])
            axes.minorticks_off()
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    path = out_dir / f"{name}.png"
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
