"""The service under streaming load: `StreamExtractEntities` through the project's own client.

Each stream runs in its own spawned process (so clients do not share a GIL), sends documents
as fast as the server's stream window lets it, and checks that results come back in order.
Latency is per document: from the moment the client hands it to gRPC to its result. The client
keeps at most `WINDOW` documents unanswered: gRPC would otherwise read the whole generator ahead.

Backs docs/benchmarks.md: the service's stream rows through the Python client.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from bench import corpus as corpora

#: Documents a stream has sent but not had answered; twice the server's default stream window.
WINDOW = 128


def run_streams(
    address: str, corpus_path: str, streams: int, seconds: float, limit: int | None = None
) -> dict[str, Any]:
    """`streams` concurrent streams, each cycling through the corpus for `seconds`."""
    jobs = [(address, ("corpus", corpus_path, limit, index), seconds) for index in range(streams)]
    return _summarise(_run(jobs), streams)


def run_distinct(address: str, corpus_path: str, streams: int, start: int, count: int) -> dict[str, Any]:
    """`count` never-seen paragraphs (numbers `start`..), split over `streams` streams."""
    share = -(-count // streams)
    jobs = [
        (address, ("distinct", corpus_path, start + index * share, min(share, count - index * share)), 3600.0)
        for index in range(streams)
    ]
    return _summarise(_run(jobs), streams)


def _run(jobs: list[tuple[str, tuple[Any, ...], float]]) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(jobs)) as pool:
        return pool.starmap(_one_stream, jobs)


def _texts(source: tuple[Any, ...], deadline: float) -> Iterator[str]:
    kind, path, *rest = source
    corpus = corpora.load(path, rest[0] if kind == "corpus" else None)
    if kind == "distinct":
        yield from corpora.distinct_paragraphs(corpus, rest[1], start=rest[0])
        return
    offset = rest[1] * 7919 % len(corpus.texts)
    for text in itertools.islice(itertools.cycle(corpus.texts), offset, None):
        if time.perf_counter() >= deadline:
            return
        yield text


def _one_stream(address: str, source: tuple[Any, ...], seconds: float) -> dict[str, Any]:
    from ner_client import NerClient

    sent_at: list[float] = []
    words: list[int] = []
    window = threading.Semaphore(WINDOW)

    def timed(texts: Iterator[str]) -> Iterator[str]:
        for text in texts:
            window.acquire()
            words.append(corpora.count_words(text))
            sent_at.append(time.perf_counter())
            yield text

    latencies: list[float] = []
    errors: Counter[str] = Counter()
    out_of_order = ok_words = 0
    began = time.perf_counter()
    with NerClient(address, stream_timeout=seconds + 600) as client:
        for index, result in enumerate(client.stream(timed(_texts(source, began + seconds)))):
            latencies.append(time.perf_counter() - sent_at[index])
            window.release()
            out_of_order += result.id != str(index)
            if result.error is None:
                ok_words += words[index]
            else:
                errors[result.error.code.name] += 1
    return {
        "seconds": time.perf_counter() - began,
        "docs": len(latencies),
        "ok": len(latencies) - sum(errors.values()),
        "ok_words": ok_words,
        "latencies": latencies,
        "errors": dict(errors),
        "out_of_order": out_of_order,
    }


def _summarise(parts: list[dict[str, Any]], streams: int) -> dict[str, Any]:
    latencies = sorted(latency for part in parts for latency in part["latencies"])
    seconds = max(part["seconds"] for part in parts)
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    ok = sum(part["ok"] for part in parts)
    return {
        "streams": streams,
        "client": "python",
        "seconds": seconds,
        "ok": ok,
        "docs_per_s": ok / seconds,
        "words_per_s": sum(part["ok_words"] for part in parts) / seconds,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "errors": dict(errors),
        "out_of_order": sum(part["out_of_order"] for part in parts),
    }


def percentile(sorted_values: list[float], percent: float) -> float | None:
    """Nearest-rank percentile, in milliseconds, of values in seconds."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, round(percent / 100 * len(sorted_values)) - 1))
    return sorted_values[rank] * 1000
