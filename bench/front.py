"""Front capacity: one-word texts against the service and against the floor, in the same run.

A one-word text costs the workers almost nothing, so calls/s measure the front process (gRPC,
servicer, batcher, pool) against `bench.floor_server`, a bare grpc.aio server that answers a
fixed entity: what gRPC itself costs. Both get the same loads from ghz: unary `ExtractEntities` at
c=256 over one connection, then one `StreamExtractEntities` stream as long. The service is measured
without metrics and, when asked and `ner-server` has `--metrics-port`, with metrics on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bench.floor_server import FloorServer
from bench.grpc_load import run_ghz, run_ghz_streams
from bench.service import METRICS_FLAG, Service, server_has_flag

TEXT = "Paris"
CONCURRENCY = 256


def measure(workers: int, pipeline: str, server_args: str, seconds: float, metrics: bool) -> dict[str, Any]:
    """Floor, service without metrics, then (when asked) the service with metrics: runs and ratios."""
    floor = FloorServer()
    try:
        floor_runs = _loads(floor.address, seconds, lambda load: load())
    finally:
        floor.stop()
    result: dict[str, Any] = {
        "text": TEXT,
        "concurrency": CONCURRENCY,
        "connections": 1,
        "floor": floor_runs,
        "service": _service(workers, pipeline, server_args, seconds, False, floor_runs),
        "service_metrics": None,
        "metrics_skipped": None,
    }
    if not metrics:
        result["metrics_skipped"] = "--metrics off"
    elif not server_has_flag(METRICS_FLAG):
        result["metrics_skipped"] = f"ner-server has no {METRICS_FLAG}"
    else:
        result["service_metrics"] = _service(workers, pipeline, server_args, seconds, True, floor_runs)
    return result


def _service(
    workers: int, pipeline: str, server_args: str, seconds: float, metrics: bool, floor: dict[str, Any]
) -> dict[str, Any]:
    service = Service(workers, pipeline, server_args, metrics)
    try:
        runs = _loads(service.address, seconds, service.measured)
    finally:
        service.stop()
    ratios = {kind: _ratio(runs[kind], floor[kind]) for kind in ("unary", "stream")}
    return {**runs, "metrics": service.metrics_port is not None, "ratio_to_floor": ratios}


def _loads(
    address: str, seconds: float, measured: Callable[[Callable[[], dict[str, Any]]], dict[str, Any]]
) -> dict[str, Any]:
    texts = (TEXT,)
    run_ghz(address, texts, CONCURRENCY, 1, min(seconds, 1.0), 1.0)
    unary = measured(lambda: run_ghz(address, texts, CONCURRENCY, 1, seconds, 1.0))
    # One stream about as long as the unary run: as many texts as it answered.
    count = max(1_000, math.ceil(unary["docs_per_s"] * seconds))
    stream = measured(lambda: run_ghz_streams(address, texts, 1, count, 1.0))
    return {"unary": unary, "stream": stream}


def _ratio(run: dict[str, Any], floor: dict[str, Any]) -> float | None:
    return run["docs_per_s"] / floor["docs_per_s"] if floor["docs_per_s"] else None
