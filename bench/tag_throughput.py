"""docs/s of the paragraphs corpus through `ner-tag` vs StreamExtractEntities driven directly.

Starts one local `ner-server --workers 2`, then alternates, for `--rounds` rounds:
  direct   NerClient.stream over the whole corpus (one stream, the server's window)
  ner-tag  the real command as a subprocess (default flags, and --streams 1), output to a
           temporary file: docs/s by the wall clock (process start-up included) and as
           ner-tag's own summary line reports it (from its first request to its last answer)
Prints a table and writes bench/results/tag_throughput.json.

    .venv/bin/python bench/tag_throughput.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from ner_client import Document, NerClient

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "gum_wiki_sentences.jsonl"
RESULTS = ROOT / "bench" / "results" / "tag_throughput.json"
BIN = Path(sys.executable).parent


def start_server(workers: int) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [str(BIN / "ner-server"), "--port", "0", "--workers", str(workers)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    for line in server.stdout:
        entry = json.loads(line)
        if entry.get("message") == "listening":
            address = f"localhost:{entry['port']}"
            break
    with NerClient(address) as client:
        deadline = time.monotonic() + 120
        while True:
            try:
                client.model_info()
                break
            except grpc.RpcError:  # still loading; retried until the deadline
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    return server, address


def direct(address: str, documents: list[Document]) -> float:
    with NerClient(address) as client:
        started = time.monotonic()
        answered = sum(1 for _ in client.stream(documents))
        seconds = time.monotonic() - started
    assert answered == len(documents)
    return len(documents) / seconds


def through_ner_tag(address: str, count: int, *flags: str) -> tuple[float, float]:
    """docs/s by the wall clock (process start-up included) and as ner-tag's summary reports it."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "out.jsonl"
        started = time.monotonic()
        done = subprocess.run(
            [str(BIN / "ner-tag"), str(CORPUS), "-t", address, "-o", str(output), *flags],
            check=True,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - started
        assert output.read_bytes().count(b"\n") == count
    reported = float(re.search(r"([0-9.]+) docs/s", done.stderr).group(1))  # type: ignore[union-attr]
    return count / seconds, reported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    documents = [Document(row["id"], row["text"]) for row in rows]
    server, address = start_server(args.workers)
    runs: dict[str, list[float]] = {
        "direct stream": [],
        "ner-tag, 2 streams": [],
        "  (2 streams, its summary)": [],
        "ner-tag, 1 stream": [],
        "  (1 stream, its summary)": [],
    }
    try:
        direct(address, documents[:200])  # warm-up
        for _ in range(args.rounds):
            runs["direct stream"].append(direct(address, documents))
            wall, reported = through_ner_tag(address, len(documents))
            runs["ner-tag, 2 streams"].append(wall)
            runs["  (2 streams, its summary)"].append(reported)
            wall, reported = through_ner_tag(address, len(documents), "--streams", "1")
            runs["ner-tag, 1 stream"].append(wall)
            runs["  (1 stream, its summary)"].append(reported)
    finally:
        server.terminate()
        server.wait(30)
    baseline = statistics.median(runs["direct stream"])
    print(f"{len(documents)} documents, {args.workers} workers, {args.rounds} rounds (median docs/s)")
    print(f"{'path':<28}{'docs/s':>10}{'vs direct':>11}")
    results = {}
    for name, rates in runs.items():
        median = statistics.median(rates)
        results[name.strip(" ()")] = {"docs_per_s": round(median, 1), "runs": [round(r, 1) for r in rates]}
        print(f"{name:<28}{median:>10.1f}{median / baseline:>10.2f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "corpus": CORPUS.name,
                "documents": len(documents),
                "server_workers": args.workers,
                "rounds": args.rounds,
                "machine": f"{platform.machine()}, {platform.python_version()}",
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
