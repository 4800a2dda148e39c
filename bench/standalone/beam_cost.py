"""What the Beam pipeline costs the client against `ner-tag`: documents/s and CPU per 1,000 documents.

Both tag the paragraphs corpus (repeated `--repeat` times) from a JSONL file into files, as a user
runs them: `ner-tag` (its defaults), and `python -m ner_client.beam` in `.venv-beam` on Beam's
local runner over 2 processes (`--direct_num_workers 2 --direct_running_mode multi_processing`).
Against the floor (bench/suite/floor_server.py: answers at once, no model), so that only the clients
cost, and against a real `ner-server --workers 2`, in the same run, alternating, `--rounds` times.

CPU counts every process of the client (the pipeline's workers included; not the server): the
process tree is sampled from /proc every 50 ms, each process's user and system time as last seen.
Start-up (Beam's imports and its worker processes, `ner-tag`'s imports) is measured apart, from
a one-document run, and taken off to give the cost per document; docs/s are by the wall clock,
start-up included and not. Prints a table and writes beam_cost.json into a new folder
`bench/results/<UTC time>-beam-cost/`. Backs docs/bulk.md, "What it costs", and the Beam section of
docs/benchmarks.md.

    .venv/bin/python -m bench.standalone.beam_cost [--rounds 2] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import PARAGRAPHS, ROOT
from bench.results_folder import new_folder
from bench.suite.floor_server import FloorServer
from tests.support import ServerProcess

NER_TAG = str(Path(sys.executable).parent / "ner-tag")
BEAM_PYTHON = str(ROOT / ".venv-beam" / "bin" / "python")
TICKS = os.sysconf("SC_CLK_TCK")


class TreeCpu:
    """CPU seconds of a process and all its descendants, sampled until it exits."""

    def __init__(self, pid: int) -> None:
        self.root = pid
        self.seen: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.is_set():
            for pid in _tree(self.root):
                if (cpu := _cpu(pid)) is not None:
                    self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))
            time.sleep(0.05)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return sum(self.seen.values())


def _tree(root: int) -> list[int]:
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        # Each thread lists the children it started: Beam starts its workers from a thread.
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/children") as handle:
                    queue.extend(int(child) for child in handle.read().split())
            except OSError:
                continue
    return found


def _cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def run(command: list[str]) -> dict[str, float]:
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    cpu = TreeCpu(process.pid)
    _, stderr = process.communicate()
    seconds = time.monotonic() - started
    total = cpu.stop()
    assert process.returncode == 0, stderr[-2000:]
    return {"seconds": seconds, "cpu_s": total}


def commands(client: str, corpus: Path, address: str, folder: Path) -> list[str]:
    if client == "ner-tag":
        return [NER_TAG, str(corpus), "-t", address, "-o", str(folder / "ner-tag.jsonl"), "-q"]
    return [
        BEAM_PYTHON,
        "-m",
        "ner_client.beam",
        "--input",
        str(corpus),
        "--output",
        str(folder / "beam" / "tagged"),
        "--errors",
        str(folder / "beam" / "errors"),
        "--target",
        address,
        "--direct_num_workers",
        "2",
        "--direct_running_mode",
        "multi_processing",
    ]


def measure(
    address: str, corpus: Path, one: Path, documents: int, rounds: int, folder: Path
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"ner-tag": [], "beam": []}
    for _ in range(rounds):
        for client in runs:
            start_up = run(commands(client, one, address, folder))
            full = run(commands(client, corpus, address, folder))
            # On a busy machine the one-document run can take longer than the whole run.
            working = max(full["seconds"] - start_up["seconds"], full["seconds"] / 10)
            runs[client].append(
                {
                    "docs_per_s": documents / full["seconds"],
                    "docs_per_s_after_start_up": documents / working,
                    "cpu_ms_per_1000": 1_000_000 * full["cpu_s"] / documents,
                    "cpu_ms_per_1000_after_start_up": 1_000_000
                    * (full["cpu_s"] - start_up["cpu_s"])
                    / documents,
                    "start_up_seconds": start_up["seconds"],
                    "start_up_cpu_s": start_up["cpu_s"],
                }
            )
    result: dict[str, Any] = {}
    for client, measured in runs.items():
        result[client] = {key: statistics.median(run[key] for run in measured) for key in measured[0]}
        result[client]["runs"] = measured
    result["beam_cpu_over_ner_tag"] = (
        result["beam"]["cpu_ms_per_1000_after_start_up"] / result["ner-tag"]["cpu_ms_per_1000_after_start_up"]
    )
    return result


def write_corpus(folder: Path, repeat: int) -> tuple[Path, Path, int]:
    rows = [json.loads(line) for line in PARAGRAPHS.read_text(encoding="utf-8").splitlines() if line.strip()]
    corpus = folder / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for n in range(repeat):
            for row in rows:
                handle.write(json.dumps({"id": f"{row['id']}-{n}", "text": row["text"]}) + "\n")
    one = folder / "one.jsonl"
    one.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    return corpus, one, repeat * len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10, help="copies of the paragraphs corpus")
    parser.add_argument("--workers", type=int, default=2, help="workers of the real server")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        corpus, one, documents = write_corpus(folder, args.repeat)
        floor = FloorServer()
        try:
            results["floor"] = measure(floor.address, corpus, one, documents, args.rounds, folder)
        finally:
            floor.stop()
        server = ServerProcess(["--workers", str(args.workers)])
        try:
            server.wait_serving(120)
            results[f"ner-server --workers {args.workers}"] = measure(
                server.address, corpus, one, documents, args.rounds, folder
            )
        finally:
            server.stop()
    print(f"{documents} paragraphs, medians of {args.rounds} rounds; CPU of every client process")
    print(
        f"{'service':<26}{'client':<9}{'docs/s':>8}{'(no start-up)':>15}{'CPU ms/1000':>13}{'start-up s':>12}"
    )
    for service, measured in results.items():
        for client in ("ner-tag", "beam"):
            row = measured[client]
            print(
                f"{service:<26}{client:<9}{row['docs_per_s']:>8.0f}{row['docs_per_s_after_start_up']:>15.0f}"
                f"{row['cpu_ms_per_1000_after_start_up']:>13.0f}{row['start_up_seconds']:>12.1f}"
            )
        print(f"{'':<26}beam CPU per document / ner-tag's: {measured['beam_cpu_over_ner_tag']:.2f}")
    results_file = new_folder("beam-cost") / "beam_cost.json"
    results_file.write_text(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "load_average_at_end": os.getloadavg()[0],
                "documents": documents,
                "rounds": args.rounds,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {results_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
