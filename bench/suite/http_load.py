"""The FastAPI baseline under load: uvicorn with N workers, loaded by `wrk` with a Lua script.

`BaselineServer` starts `uvicorn bench.suite.baseline.app:app --workers N` on a free port and times
how long until every worker has finished startup; `run_wrk` drives `POST /predict` at one
concurrency (one request in flight per connection) and returns the same fields as the gRPC runs.

Backs docs/benchmarks.md: the FastAPI baseline rows.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import ROOT, Corpus

LUA_SCRIPT = Path(__file__).resolve().parent / "baseline" / "predict.lua"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BaselineServer:
    """`uvicorn bench.suite.baseline.app:app --workers N` on 127.0.0.1, its log read in a thread."""

    def __init__(self, workers: int, pipeline: str = "full", timeout: float = 120) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BENCH_BASELINE_PIPELINE": pipeline}
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.suite.baseline.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "info",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError("the baseline never became ready:\n" + "\n".join(self.log[-20:]))
        self.start_seconds = self.ready_at - self.started

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_log(self) -> None:
        # Each worker imports the app (loading its model) and then logs one startup line.
        assert self.process.stdout is not None
        started_workers = 0
        for line in self.process.stdout:
            self.log.append(line.rstrip("\n"))
            if "Application startup complete" in line:
                started_workers += 1
                if started_workers == self.workers:
                    self.ready_at = time.monotonic()
                    self._ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_wrk(url: str, corpus: Corpus, concurrency: int, seconds: float) -> dict[str, Any]:
    """`wrk` at `concurrency` connections for `seconds`; docs/s, words/s, latency and statuses."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as bodies:
        for text in corpus.texts:
            bodies.write(json.dumps({"text": text}) + "\n")
    try:
        threads = max(1, min(concurrency, 2))
        command = [
            wrk,
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA_SCRIPT),
            url,
            "--",
            bodies.name,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 120)
    finally:
        os.unlink(bodies.name)
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    statuses = {str(code): count for code, count in raw["statuses"].items()}
    ok = statuses.get("200", 0)
    duration = raw["duration_us"] / 1e6
    errors = {f"http_{code}": count for code, count in statuses.items() if code != "200"}
    errors.update(
        {f"socket_{kind}": count for kind, count in raw["errors"].items() if count and kind != "status"}
    )
    return {
        "concurrency": concurrency,
        "connections": concurrency,
        "seconds": duration,
        "ok": ok,
        "docs_per_s": ok / duration,
        "words_per_s": ok / duration * corpus.words_per_doc,
        # wrk reports 0 when nothing finished; latency of calls still running at the end is not counted.
        "p50_ms": raw["p50_us"] / 1000 if ok else None,
        "p95_ms": raw["p95_us"] / 1000 if ok else None,
        "p99_ms": raw["p99_us"] / 1000 if ok else None,
        "errors": errors,
    }
