"""The service under unary load: `ghz` on ner.v1.NerService/ExtractEntities.

One call per document, texts taken in turn from the corpus; closed loop with `concurrency`
calls in flight over `connections` HTTP/2 connections, for a fixed time.

Backs docs/benchmarks.md: the service's unary rows and its ghz stream rows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.corpus import ROOT

PROTO = "protos/ner/v1/ner.proto"
CALL = "ner.v1.NerService.ExtractEntities"


def ghz_path() -> str:
    found = shutil.which("ghz") or shutil.which(str(ROOT / ".tools" / "bin" / "ghz"))
    if found is None:
        raise RuntimeError("ghz is not installed: `make setup` installs it into .tools/bin")
    return found


def run_ghz(
    address: str,
    texts: tuple[str, ...],
    concurrency: int,
    connections: int,
    seconds: float,
    words_per_doc: float,
    skip_first: int = 0,
) -> dict[str, Any]:
    """`ghz` for `seconds`; docs/s, words/s, p50/p95/p99 in ms and error counts by status."""
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "requests.json"
        data.write_text(json.dumps([{"text": text} for text in texts]))
        command = [
            ghz_path(), "--insecure", "--proto", PROTO, "--import-paths", "protos", "--call", CALL,
            "--data-file", str(data), "--concurrency", str(concurrency),
            "--connections", str(min(connections, concurrency)), "--duration", f"{seconds:g}s",
            "--timeout", "30s", "--duration-stop", "wait", "--skipFirst", str(skip_first),
            "--format", "json", address,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 120)
    if not done.stdout.strip():
        raise RuntimeError(f"ghz failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    statuses: dict[str, int] = dict(report.get("statusCodeDistribution") or {})
    ok = statuses.pop("OK", 0)
    duration = report["total"] / 1e9
    latency = {row["percentage"]: row["latency"] / 1e6 for row in report.get("latencyDistribution") or []}
    return {
        "concurrency": concurrency,
        "connections": min(connections, concurrency),
        "seconds": duration,
        "ok": ok,
        "docs_per_s": ok / duration,
        "words_per_s": ok / duration * words_per_doc,
        "p50_ms": latency.get(50),
        "p95_ms": latency.get(95),
        "p99_ms": latency.get(99),
        "errors": statuses,
        "error_messages": dict(report.get("errorDistribution") or {}),
    }


STREAM_CALL = "ner.v1.NerService.StreamExtractEntities"


def run_ghz_streams(
    address: str, texts: tuple[str, ...], streams: int, repeat: int, words_per_doc: float
) -> dict[str, Any]:
    """`streams` concurrent `StreamExtractEntities` calls from ghz, each sending the corpus `repeat` times.

    ghz reports one latency per stream, not per document, so only throughput and errors are kept.
    """
    messages = [{"document": {"id": str(index), "text": text}} for index, text in enumerate(texts * repeat)]
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "requests.json"
        data.write_text(json.dumps(messages))
        command = [
            ghz_path(), "--insecure", "--proto", PROTO, "--import-paths", "protos", "--call", STREAM_CALL,
            "--data-file", str(data), "--concurrency", str(streams), "--connections", "1",
            "--total", str(streams), "--timeout", "600s", "--format", "json", address,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    if not done.stdout.strip():
        raise RuntimeError(f"ghz failed: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    statuses: dict[str, int] = dict(report.get("statusCodeDistribution") or {})
    ok_streams = statuses.pop("OK", 0)
    duration = report["total"] / 1e9
    ok = ok_streams * len(messages)
    return {
        "streams": streams,
        "client": "ghz",
        "seconds": duration,
        "ok": ok,
        "docs_per_s": ok / duration,
        "words_per_s": ok / duration * words_per_doc,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "errors": statuses,
        "error_messages": dict(report.get("errorDistribution") or {}),
    }
