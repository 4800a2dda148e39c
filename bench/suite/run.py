"""The benchmark in one run: ceiling, FastAPI baseline, service and front capacity, then the targets.

    .venv/bin/python -m bench.suite.run                 # full run, both corpora (make bench)
    .venv/bin/python -m bench.suite.run --quick         # the same, short: for development
    .venv/bin/python -m bench.suite.run --corpus X.jsonl --parts ceiling,service --seconds 1
    .venv/bin/python -m bench.suite.run --parts ceiling,service,front --workers 8,14     # a workers sweep
    .venv/bin/python -m bench.suite.run --parts ceiling,service --model DIR [--code F]   # your pipeline

For each worker count of `--workers`: per corpus the ceiling on that many processes, the baseline,
the service and the targets' loads paired with the ceiling (`bench.suite.paired`), then the front
capacity (one-word texts, service vs a bare gRPC floor). Then, once, the extras and the idle
connections' memory. Prints a table per corpus and the targets with PASS/MISS; writes
`results.json`, `summary.md` and one PNG per corpus and worker count to `--out` (default: a new
folder `bench/results/<UTC time>-full-run/`, or `-quick-run`, `-own-pipeline`, `-run`). Loads only
localhost; every load is bounded in time. Backs docs/benchmarks.md, "Latest figures".
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ner_server.front.settings import Settings

from bench import corpus as corpora
from bench.results_folder import new_folder
from bench.suite import ceiling, extras, front, machine, markdown, paired, plots, report, service, targets
from bench.suite.http_load import BaselineServer, run_wrk
from bench.suite.memory import tree_memory

PARTS = ("ceiling", "baseline", "service", "front", "extras", "idle")
FULL = {
    "seconds": 10.0,
    "concurrencies": "1,8,16,32,64,256",
    "batch_sizes": "8,32,128",
    "distinct": 100_000,
    "pair_rounds": 5,
    "pair_seconds": 4.0,
}
QUICK = {
    "seconds": 2.0,
    "concurrencies": "1,16,64,256",
    "batch_sizes": "32",
    "distinct": 2_000,
    "pair_rounds": 1,
    "pair_seconds": 2.0,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", action="append", help="JSONL of {id, text}; repeatable (default: both)")
    parser.add_argument("--quick", action="store_true", help="short runs: seconds, not minutes")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)}")
    parser.add_argument("--seconds", type=float, help="length of each load run")
    parser.add_argument("--concurrencies", help="comma list of calls in flight")
    parser.add_argument("--batch-sizes", help="nlp.pipe batch sizes the ceiling tries")
    parser.add_argument("--connections", type=int, default=4, help="'several connections' for ghz")
    parser.add_argument("--streams", type=int, default=4, help="'several streams'")
    parser.add_argument(
        "--workers", default="2", help="comma list: server workers = ceiling processes, each measured in turn"
    )
    parser.add_argument("--pipeline", default="entities", help="the service's and the ceiling's pipeline")
    parser.add_argument(
        "--model",
        default="en_core_web_md",
        help="the service's and the ceiling's model (package or directory)",
    )
    parser.add_argument("--code", action="append", default=[], help="as ner-server's --code; repeatable")
    parser.add_argument("--distinct", type=int, help="distinct paragraphs for the memory-zone check")
    parser.add_argument(
        "--pair-rounds",
        type=int,
        help="rounds in which each target load runs beside its bar: the ceiling (0: not paired) "
        "or the floor (at least one round)",
    )
    parser.add_argument("--pair-seconds", type=float, help="length of each load of a round")
    parser.add_argument("--limit", type=int, help="use only the first N documents of each corpus")
    parser.add_argument(
        "--server-args",
        default="",
        help="extra ner-server flags, e.g. '--batch-max-documents 32' (knob sweeps)",
    )
    parser.add_argument(
        "--metrics",
        choices=("auto", "off"),
        default="auto",
        help="auto: when ner-server has --metrics-port, the service runs with it (batches per load run) "
        "and the front capacity is measured with metrics too; off: never",
    )
    parser.add_argument(
        "--out", type=Path, help="results folder (default: a new dated one under bench/results/)"
    )
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.corpus = [str(corpora.require(path)) for path in args.corpus or [corpora.LONG, corpora.PARAGRAPHS]]
    args.concurrencies = [int(value) for value in args.concurrencies.split(",")]
    args.batch_sizes = [int(value) for value in args.batch_sizes.split(",")]
    args.workers = [int(value) for value in args.workers.split(",")]
    args.parts = set(args.parts.split(","))
    if args.parts - set(PARTS):
        parser.error(f"unknown parts {', '.join(sorted(args.parts - set(PARTS)))}; known: {', '.join(PARTS)}")
    if "extras" in args.parts:
        corpora.require(corpora.PARAGRAPHS)
    # The service gets the model as flags; the ceiling gets them as its own arguments.
    model_flags = ["--model", args.model, *(argument for path in args.code for argument in ("--code", path))]
    args.server_args = " ".join([*model_flags, args.server_args]).strip()
    return args


def start_service(args: argparse.Namespace, workers: int, starts: list[float]) -> service.Service:
    started = service.Service(workers, args.pipeline, args.server_args, args.metrics == "auto")
    if workers == 2:
        starts.append(started.start_seconds)
    return started


def faster_ceiling(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The ceiling is measured before and after the service and the faster run is kept, so a slow
    moment of this shared machine cannot lower the bar the service is held to."""
    kept = max(first, second, key=lambda run: run["docs_per_s"])
    return {**kept, "runs_docs_per_s": [first["docs_per_s"], second["docs_per_s"]]}


def measure_baseline(args: argparse.Namespace, workers: int, corpus: corpora.Corpus) -> dict[str, Any]:
    server = BaselineServer(workers)
    try:
        run_wrk(server.url, corpus, 2, min(args.seconds, 2.0))
        runs = [run_wrk(server.url, corpus, concurrency, args.seconds) for concurrency in args.concurrencies]
        memory = tree_memory(server.pid)
    finally:
        server.stop()
    return {
        "start_seconds": server.start_seconds,
        "memory": memory.as_dict(),
        "runs": runs,
        "pipeline": "full",
    }


def measure_corpus(
    args: argparse.Namespace,
    workers: int,
    path: str,
    corpus: corpora.Corpus,
    starts: list[float],
    chosen: Settings,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "corpus": {"path": path, "docs": len(corpus.texts), "words": corpus.words, "chars": corpus.chars,
                   "words_per_doc": corpus.words_per_doc},
        "idle_before": {},
    }  # fmt: skip
    # The ceiling runs the model as the server does: the same multiply and vocabulary.
    model_args = (chosen.matmul, chosen.keep_words, args.model, args.code)
    ceiling_args = (path, workers, args.seconds, args.batch_sizes, args.pipeline, args.limit, *model_args)
    if "ceiling" in args.parts:
        entry["idle_before"]["ceiling"] = machine.idle_share()
        entry["ceiling"] = ceiling.measure(*ceiling_args)
        if chosen.matmul != "blis":
            # blis, spaCy's default multiply, at the batch size that suited the ceiling: what numpy gains.
            stock_args = (
                path,
                workers,
                args.seconds,
                [entry["ceiling"]["best_batch_size"]],
                args.pipeline,
                args.limit,
            )
            entry["ceiling_stock"] = ceiling.measure(
                *stock_args, "blis", chosen.keep_words, args.model, args.code
            )
    if "baseline" in args.parts:
        entry["idle_before"]["baseline"] = machine.idle_share()
        entry["baseline"] = measure_baseline(args, workers, corpus)
    if "service" in args.parts:
        entry["idle_before"]["service"] = machine.idle_share()
        running = start_service(args, workers, starts)
        loads = service.Loads(args.seconds, args.concurrencies, args.connections, args.streams, args.limit)
        try:
            entry["service"] = service.measure(running, path, corpus, loads)
            if "ceiling" in args.parts and args.pair_rounds > 0:
                best = entry["ceiling"]
                at_best = (path, workers, args.pair_seconds, [best["best_batch_size"]], *ceiling_args[4:])
                goals = targets.ratio_goals(workers).get(corpus.name)
                # A corpus no target names is paired at the run's highest concurrency.
                concurrencies = sorted(goals.unary) if goals else [max(args.concurrencies)]
                entry["paired"] = paired.measure(
                    running,
                    corpus,
                    functools.partial(ceiling.measure, *at_best),
                    best["docs_per_s"],
                    concurrencies,
                    args.pair_seconds,
                    args.pair_rounds,
                )
        finally:
            running.stop()
    if "ceiling" in args.parts:
        entry["idle_before"]["ceiling_again"] = machine.idle_share()
        entry["ceiling"] = faster_ceiling(entry["ceiling"], ceiling.measure(*ceiling_args))
    return entry


def measure_workers(args: argparse.Namespace, workers: int, starts: list[float]) -> dict[str, Any]:
    """Every per-corpus part and the front capacity with `workers` server workers (= ceiling processes)."""
    from ner_server.front.cli import parse_settings

    chosen = parse_settings(
        ["--workers", str(workers), "--pipeline", args.pipeline, *args.server_args.split()]
    )
    section: dict[str, Any] = {
        "workers": workers,
        "server_settings": dataclasses.asdict(chosen),
        "corpora": {},
    }
    if args.parts & {"ceiling", "baseline", "service"}:
        for path in args.corpus:
            corpus = corpora.load(path, args.limit)
            section["corpora"][corpus.name] = entry = measure_corpus(
                args, workers, path, corpus, starts, chosen
            )
            print(report.corpus_table(corpus.name, entry, workers), flush=True)
    if "front" in args.parts:
        section["front_idle_before"] = machine.idle_share()
        section["front"] = front.measure(
            workers,
            args.pipeline,
            args.server_args,
            args.pair_seconds,
            args.metrics == "auto",
            max(1, args.pair_rounds),
        )
        print(report.front_table(section["front"], workers), flush=True)
    return section


def _kind(args: argparse.Namespace) -> str:
    """What a run measured, for its folder's name: full-run (make bench), quick-run, own-pipeline, run."""
    if args.model != "en_core_web_md" or args.code:
        return "own-pipeline"
    return "quick-run" if args.quick else ("full-run" if args.parts == set(PARTS) else "run")


def measure_idle(args: argparse.Namespace) -> dict[str, Any]:
    """`bench.suite.idle_load` in its own process (it raises its file limit and starts its own server)."""
    command = [
        sys.executable,
        "-m",
        "bench.suite.idle_load",
        "--out",
        str(args.out),
        "--server-args",
        args.server_args,
    ]
    if args.quick:
        command += ["--connections", "500", "--streams", "1000"]
    subprocess.run(command, check=True, cwd=corpora.ROOT, timeout=900)
    return dict(json.loads((args.out / "idle.json").read_text()))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.out is None:
        args.out = new_folder(_kind(args))
    began = time.monotonic()
    starts: list[float] = []
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine.describe(),
        "options": {
            key: sorted(value) if isinstance(value, set) else value
            for key, value in vars(args).items()
            if key != "out"
        },
        "service_start_seconds": starts,
        "by_workers": {},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    for workers in args.workers:
        results["by_workers"][str(workers)] = measure_workers(args, workers, starts)
    # The first worker count's results also at the top, where runs before the sweep kept them.
    results.update({key: value for key, value in results["by_workers"][str(args.workers[0])].items()
                    if key in ("server_settings", "corpora", "front")})  # fmt: skip
    if "extras" in args.parts:
        results.update(extras.measure(args.pipeline, args.server_args, args.metrics == "auto", args.seconds,
                                      args.distinct))  # fmt: skip
        starts.append(results["memory_workers"]["2"]["start_seconds"])
    if "idle" in args.parts:
        results["idle"] = measure_idle(args)
    checks = targets.check_all(results)
    results["targets"] = [check.as_dict() for check in checks]
    results["elapsed_seconds"] = time.monotonic() - began
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "summary.md").write_text(markdown.render(results))
    print(plots.write_all(results, args.out))
    print(report.extras_text(results))
    print(report.idle_warning(results))
    print(report.targets_table(checks))
    print(f"wrote {args.out}/results.json and plots in {results['elapsed_seconds']:.0f} s")
    return results


if __name__ == "__main__":
    main()
