"""How fast one bulk client is, and what a stream roll-over costs.

1. The client's own ceiling: the paragraphs corpus (repeated `--repeat` times) through
   `ner-tag` and through `AsyncNerClient.tag_all` in this process, against the floor
   (bench/suite/floor_server.py: answers at once, no model), so that only the client and gRPC cost.
   docs/s, and the client's CPU seconds per 1,000 documents (the floor runs in its own process).
   Also `--shard` over 2 processes at once.
2. The cost of a roll-over: `ner-tag` with calls that never roll over and calls that roll over
   every 100 or 25 documents, against the floor (1 stream: nothing else hides the gap) and
   against a real `ner-server --workers 2` (2 streams, the default); the cost of one roll-over
   is the time lost against never, divided by the roll-overs.

Prints two tables and writes `bulk_client.json` to a new folder `bench/results/<UTC time>-bulk-client/`.
Backs docs/bulk.md: "The roll-over period, and why 30 s" and "How fast one client is".

    .venv/bin/python -m bench.standalone.bulk_client [--rounds 2] [--repeat 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ner_client import AsyncNerClient, Document
from ner_client.bulk import BulkSettings

from bench.corpus import PARAGRAPHS, ROOT
from bench.results_folder import new_folder
from bench.suite.floor_server import FloorServer
from tests.support import ServerProcess

NER_TAG = str(Path(sys.executable).parent / "ner-tag")
SUMMARY = re.compile(r"(\d+) documents.*?(?:(\d+) roll-overs, )?([0-9.]+) s, ([0-9.]+) docs/s")


def repeated_corpus(folder: Path, repeat: int) -> tuple[Path, list[Document]]:
    rows = [json.loads(line) for line in PARAGRAPHS.read_text(encoding="utf-8").splitlines() if line.strip()]
    documents = [Document(f"{row['id']}-{n}", row["text"]) for n in range(repeat) for row in rows]
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in documents))
    return path, documents


def ner_tag(corpus: Path, address: str, folder: Path, *flags: str, processes: int = 1) -> dict[str, float]:
    """docs/s by the wall clock from start to the last process's exit, and the CPU they used."""
    before = os.times()
    started = time.monotonic()
    commands = [
        subprocess.Popen(
            [NER_TAG, str(corpus), "-t", address, "-o", str(folder / f"out{k}.jsonl"), *flags]
            + (["--shard", f"{k}/{processes}"] if processes > 1 else []),
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(1, processes + 1)
    ]
    summaries = [command.communicate()[1] for command in commands]
    seconds = time.monotonic() - started
    after = os.times()
    assert all(command.returncode == 0 for command in commands), summaries
    counts = [SUMMARY.search(summary) for summary in summaries]
    documents = sum(int(found[1]) for found in counts if found)
    rollovers = sum(int(found[2] or 0) for found in counts if found)
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {
        "docs_per_s": documents / seconds,
        "cpu_ms_per_1000": 1_000_000 * cpu / documents,
        "rollovers": rollovers,
        "seconds": seconds,
    }


def library(documents: list[Document], address: str, streams: int) -> dict[str, float]:
    async def run() -> int:
        async with AsyncNerClient(address, retries=False) as client:
            settings = BulkSettings(streams=streams)
            return sum([1 async for _ in client.tag_all(documents, settings=settings)])

    cpu, started = time.process_time(), time.monotonic()
    answered = asyncio.run(run())
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    assert answered == len(documents)
    return {"docs_per_s": answered / seconds, "cpu_ms_per_1000": 1_000_000 * cpu / answered}


def median_of(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {
        key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0] if key != "seconds"
    } | {"runs": [round(run["docs_per_s"], 1) for run in runs]}


def ceiling(folder: Path, corpus: Path, documents: list[Document], rounds: int) -> dict[str, Any]:
    floor = FloorServer()
    cases: dict[str, list[dict[str, float]]] = {}
    try:
        for _ in range(rounds):
            for streams in (2, 4):
                cases.setdefault(f"ner-tag, {streams} streams", []).append(
                    ner_tag(corpus, floor.address, folder, "--streams", str(streams))
                )
                cases.setdefault(f"tag_all, {streams} streams", []).append(
                    library(documents, floor.address, streams)
                )
            cases.setdefault("ner-tag, 2 processes (--shard)", []).append(
                ner_tag(corpus, floor.address, folder, "--streams", "2", processes=2)
            )
    finally:
        floor.stop()
    return {name: median_of(runs) for name, runs in cases.items()}


def rollover_cost(
    address: str, corpus: Path, documents: int, folder: Path, rounds: int, streams: int, every: list[int]
) -> dict[str, Any]:
    """docs/s with calls that never roll over and that roll over every N documents, interleaved."""
    cases: dict[str, list[dict[str, float]]] = {}
    ner_tag(corpus, address, folder)  # warm-up
    for _ in range(rounds):
        for period in [0, *every]:
            flags = ["--streams", str(streams), "--stream-seconds", "0", "--stream-documents", str(period)]
            cases.setdefault(str(period or "never"), []).append(ner_tag(corpus, address, folder, *flags))
    results = {name: median_of(runs) for name, runs in cases.items()}
    never = results["never"]["docs_per_s"]
    for result in results.values():
        if result["rollovers"]:
            lost = documents / result["docs_per_s"] - documents / never
            result["ms_lost_per_rollover"] = round(1000 * lost / result["rollovers"], 2)
    return results


def rollover_on_floor(folder: Path, corpus: Path, documents: int, rounds: int) -> dict[str, Any]:
    floor = FloorServer()
    try:
        return rollover_cost(floor.address, corpus, documents, folder, rounds, 1, [100, 25])
    finally:
        floor.stop()


def rollover_on_server(folder: Path, rounds: int, workers: int) -> dict[str, Any]:
    server = ServerProcess(["--workers", str(workers)])
    try:
        server.wait_serving(120)
        documents = len(PARAGRAPHS.read_text(encoding="utf-8").splitlines())
        return rollover_cost(server.address, PARAGRAPHS, documents, folder, rounds, 2, [100])
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10, help="copies of the paragraphs corpus for part 1")
    parser.add_argument("--workers", type=int, default=2, help="workers of the server in part 2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        corpus, documents = repeated_corpus(folder, args.repeat)
        client = ceiling(folder, corpus, documents, args.rounds)
        on_floor = rollover_on_floor(folder, corpus, len(documents), args.rounds + 1)
        on_server = rollover_on_server(folder, args.rounds + 1, args.workers)
    print(f"1. one client against the floor: {len(documents)} paragraphs, median of {args.rounds}")
    print(f"{'client':<34}{'docs/s':>9}{'CPU ms/1000 docs':>18}")
    for name, result in client.items():
        print(f"{name:<34}{result['docs_per_s']:>9.0f}{result['cpu_ms_per_1000']:>18.0f}")
    for title, rolling in (
        ("against the floor, 1 stream", on_floor),
        (f"against ner-server --workers {args.workers}, 2 streams, the paragraphs once", on_server),
    ):
        print(f"\n2. roll-overs {title} (median of {args.rounds + 1})")
        print(f"{'roll over every':<18}{'docs/s':>9}{'roll-overs':>12}{'ms lost each':>14}")
        for name, result in rolling.items():
            lost = result.get("ms_lost_per_rollover", "")
            print(f"{name:<18}{result['docs_per_s']:>9.0f}{result['rollovers']:>12.0f}{lost:>14}")
    results_file = new_folder("bulk-client") / "bulk_client.json"
    results_file.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "load_average_at_end": os.getloadavg()[0],
                "documents_part1": len(documents),
                "client_against_floor": client,
                "rollover_cost_on_floor_1_stream": on_floor,
                "server_workers_part2": args.workers,
                "rollover_cost_on_server_2_streams": on_server,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {results_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
