"""The ceiling: the model in-process, `nlp.pipe` in N forked processes, each over its share.

No network, no serialization, no queue: what spaCy itself does on every core. The model is
loaded once and the processes are forked from it and pinned one to a CPU, as the server's
workers are. Every batch size asked for is tried and the best is kept. Run it in a fresh
process (`python -m bench.suite.ceiling`) with the environment the server's model processes start with,
as `measure` does, so the fork happens before anything else has started threads.

Backs docs/benchmarks.md: the ceiling rows and every ratio to the ceiling.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from ner_server.front.settings import Settings
from ner_server.shared.worker_config import MODEL_PROCESS_ENV
from ner_server.worker.loading import load_pipeline
from ner_server.worker.recognizer import Recognizer

from bench import corpus as corpora
from bench.suite.memory import tree_memory

WARM_BATCH = 64


def measure(
    corpus_path: str,
    processes: int,
    seconds: float,
    batch_sizes: Sequence[int],
    pipeline: str,
    limit: int | None,
    matmul: str,
    keep_words: int,
    model: str,
    code: Sequence[str],
) -> dict[str, Any]:
    """Run the ceiling in a fresh interpreter and return its JSON result."""
    command = [sys.executable, "-m", "bench.suite.ceiling", "--corpus", corpus_path]
    command += ["--processes", str(processes)]
    command += ["--seconds", str(seconds), "--pipeline", pipeline, "--matmul", matmul]
    command += ["--keep-words", str(keep_words), "--model", model]
    command += [argument for path in code for argument in ("--code", path)]
    command += ["--batch-sizes", ",".join(str(size) for size in batch_sizes)]
    if limit is not None:
        command += ["--limit", str(limit)]
    environment = {**os.environ, **MODEL_PROCESS_ENV}
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, cwd=corpora.ROOT, env=environment
    )
    return json.loads(done.stdout)


def shares(texts: Sequence[str], parts: int) -> list[list[str]]:
    """Split texts into `parts` shares of about equal characters, each kept in corpus order."""
    buckets: list[list[int]] = [[] for _ in range(parts)]
    sizes = [0] * parts
    for index in sorted(range(len(texts)), key=lambda index: len(texts[index]), reverse=True):
        lightest = sizes.index(min(sizes))
        buckets[lightest].append(index)
        sizes[lightest] += len(texts[index])
    return [[texts[index] for index in sorted(bucket)] for bucket in buckets]


def _run_share(
    recognizer: Recognizer,
    share: list[str],
    cpu: int,
    batch_size: int,
    seconds: float,
    start: Any,
    results: Any,
) -> None:
    os.sched_setaffinity(0, {cpu})
    batches = [share[offset : offset + batch_size] for offset in range(0, len(share), batch_size)]
    words_in = [sum(corpora.count_words(text) for text in batch) for batch in batches]
    start.wait()
    began = time.perf_counter()
    docs = words = 0
    for batch, batch_words in itertools.cycle(zip(batches, words_in, strict=True)):
        recognizer.extract(batch)
        docs += len(batch)
        words += batch_words
        if time.perf_counter() - began >= seconds:
            break
    results.put((docs, words, time.perf_counter() - began))


def run_batch_size(
    recognizer: Recognizer, texts: Sequence[str], processes: int, batch_size: int, seconds: float
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    results = context.Queue()
    cpus = sorted(os.sched_getaffinity(0))
    workers = [
        context.Process(
            target=_run_share,
            args=(recognizer, share, cpus[index % len(cpus)], batch_size, seconds, start, results),
        )
        for index, share in enumerate(shares(texts, processes))
    ]
    for worker in workers:
        worker.start()
    start.set()
    time.sleep(min(seconds / 2, 2.0))
    memory = tree_memory(os.getpid())
    measured = [results.get(timeout=seconds * 20 + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return {
        "batch_size": batch_size,
        "docs_per_s": sum(docs / elapsed for docs, _, elapsed in measured),
        "words_per_s": sum(words / elapsed for _, words, elapsed in measured),
        "docs": sum(docs for docs, _, _ in measured),
        "memory": memory.as_dict(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch-sizes", default="8,32,128")
    parser.add_argument("--pipeline", default="entities")
    parser.add_argument("--model", default="en_core_web_md")
    parser.add_argument("--code", action="append", default=[], help="as ner-server's --code")
    server = Settings()
    parser.add_argument("--matmul", default=server.matmul, help="as ner-server's --matmul")
    parser.add_argument(
        "--keep-words", type=int, default=server.keep_words, help="as ner-server's --keep-words"
    )
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)

    corpus = corpora.load(args.corpus, args.limit)
    began = time.perf_counter()
    nlp = load_pipeline(args.model, args.pipeline, matmul=args.matmul, code=args.code)
    load_seconds = time.perf_counter() - began
    recognizer = Recognizer(nlp, args.keep_words)
    # Every text once before the processes fork, as the server's workers have met the corpus by the
    # time a target's load runs: a process's first pass makes the corpus's lexemes.
    for offset in range(0, len(corpus.texts), WARM_BATCH):
        recognizer.extract(corpus.texts[offset : offset + WARM_BATCH])
    runs = [
        run_batch_size(recognizer, corpus.texts, args.processes, int(size), args.seconds)
        for size in args.batch_sizes.split(",")
    ]
    best = max(runs, key=lambda run: run["docs_per_s"])
    result = {
        "pipeline": args.pipeline,
        "matmul": args.matmul,
        "keep_words": args.keep_words,
        "processes": args.processes,
        "load_seconds": load_seconds,
        "best_batch_size": best["batch_size"],
        "docs_per_s": best["docs_per_s"],
        "words_per_s": best["words_per_s"],
        "memory": best["memory"],
        "batch_sizes": runs,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
