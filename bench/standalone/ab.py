"""Same-run A/B: this checkout's server against another checkout's, on the same loads.

Both servers are up at once (2 workers each, the same flags); every load runs on each in turn,
the order alternating from round to round, and each round keeps the ratio B/A (B: this checkout).
Starts are measured the same way: each checkout's server started and stopped in turn.

    .venv/bin/python -m bench.standalone.ab --baseline ../main-before [--rounds 4] [--seconds 3]

The other checkout runs from its own source (`server/`, `client/` put first on PYTHONPATH) with
this checkout's interpreter. Prints a table and writes `ab.json` and `ab.png` to `--out` (default:
a new folder `bench/results/<UTC time>-ab/`). Backs docs/benchmarks.md: "What choosing the
components from the pipeline costs en_core_web_md" and "UTF-16 offsets" (through the service).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import corpus as corpora
from bench.results_folder import new_folder
from bench.suite.grpc_load import run_ghz, run_ghz_streams
from tests.support import ServerProcess


def start(checkout: Path | None, args: list[str]) -> ServerProcess:
    """A server from `checkout`'s source (None: this checkout), once SERVING."""
    env = None
    if checkout is not None:
        source = os.pathsep.join(str(checkout / part) for part in ("server", "client"))
        env = {**os.environ, "PYTHONPATH": source}
    server = ServerProcess(["--workers", "2", *args], env=env)
    server.wait_serving()
    return server


def loads(
    long: corpora.Corpus, paragraphs: corpora.Corpus, seconds: float
) -> dict[str, Callable[[str], float]]:
    """Each load as docs/s against an address."""
    return {
        "long documents, unary c=16": lambda address: run_ghz(
            address, long.texts, 16, 1, seconds, long.words_per_doc
        )["docs_per_s"],
        "long documents, one stream": lambda address: run_ghz_streams(
            address, long.texts, 1, 1, long.words_per_doc
        )["docs_per_s"],
        "paragraphs, unary c=64": lambda address: run_ghz(
            address, paragraphs.texts, 64, 1, seconds, paragraphs.words_per_doc
        )["docs_per_s"],
        "paragraphs, one stream": lambda address: run_ghz_streams(
            address, paragraphs.texts, 1, 1, paragraphs.words_per_doc
        )["docs_per_s"],
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=Path, required=True, help="the other checkout (A)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of every load (0: starts only)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each unary load")
    parser.add_argument("--starts", type=int, default=3, help="starts of each server, in turn")
    parser.add_argument("--server-args", default="", help="flags for both servers")
    parser.add_argument(
        "--out", type=Path, help="results folder (default: a new dated one under bench/results/)"
    )
    args = parser.parse_args(argv)
    flags = args.server_args.split()
    long, paragraphs = corpora.load(str(corpora.LONG), None), corpora.load(str(corpora.PARAGRAPHS), None)

    starts: dict[str, list[float]] = {"A": [], "B": []}
    for index in range(2 * args.starts):
        side = "AB"[index % 2]
        server = start(args.baseline if side == "A" else None, flags)
        starts[side].append(round(server.wait_serving(), 3))
        server.stop()

    results: dict[str, Any] = {}
    servers = {"A": start(args.baseline, flags), "B": start(None, flags)} if args.rounds else {}
    try:
        for name, load in loads(long, paragraphs, args.seconds).items() if servers else ():
            rounds = []
            for index in range(args.rounds):
                order = "AB" if index % 2 == 0 else "BA"
                measured = {side: load(servers[side].address) for side in order}
                rounds.append({**measured, "ratio": measured["B"] / measured["A"]})
            results[name] = {"rounds": rounds, "median_ratio": statistics.median(r["ratio"] for r in rounds)}
    finally:
        for server in servers.values():
            server.stop()
    report = {
        "baseline": str(args.baseline),
        "server_args": args.server_args,
        "starts": starts,
        "loads": results,
    }
    args.out = args.out or new_folder("ab")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ab.json").write_text(json.dumps(report, indent=1) + "\n")
    print(table(report))
    print(plot(report, args.out / "ab.png"))
    return report


def table(report: dict[str, Any]) -> str:
    lines = ["| load | A docs/s (each round) | B docs/s (each round) | median B/A |", "|---|---|---|---:|"]
    for name, load in report["loads"].items():
        a = ", ".join(f"{r['A']:.1f}" for r in load["rounds"])
        b = ", ".join(f"{r['B']:.1f}" for r in load["rounds"])
        lines.append(f"| {name} | {a} | {b} | {load['median_ratio']:.3f} |")
    starts = report["starts"]
    lines.append(
        f"| start to SERVING, s | {', '.join(map(str, starts['A']))} | {', '.join(map(str, starts['B']))} | "
        f"{statistics.median(starts['B']) / statistics.median(starts['A']):.3f} |"
    )
    return "\n".join(lines)


def plot(report: dict[str, Any], path: Path) -> str:
    try:
        import matplotlib
    except ImportError:
        return "plot skipped: matplotlib is not installed (the bench extra)"
    matplotlib.use("Agg")
    from matplotlib import pyplot

    names = list(report["loads"])
    figure, axes = pyplot.subplots(figsize=(8, 3.5))
    axes.barh(names, [report["loads"][name]["median_ratio"] for name in names])
    axes.axvline(1.0, color="black", linewidth=0.8)
    axes.set_xlabel("median docs/s ratio, this checkout / baseline")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return f"wrote {path}"


if __name__ == "__main__":
    main()
