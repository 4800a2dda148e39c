"""Front capacity: one-word texts against the service and against the floor, in the same rounds.

A one-word text costs the workers almost nothing, so calls/s measure the front process (gRPC,
servicer, batcher, pool) against `bench.suite.floor_server`, a bare grpc.aio server that answers a
fixed entity: what gRPC itself costs. Both get the same loads from ghz: unary `ExtractEntities` at
c=256 over one connection, then one `StreamExtractEntities` stream as long. The service is measured
without metrics and, when asked and `ner-server` has `--metrics-port`, with metrics on. All of them
are up at once, and each round gives each load to each in turn, the order reversed every other
round (the machine's speed drifts, as `bench.suite.paired` says); a ratio is the median round's.

Backs docs/benchmarks.md: front capacity (service / floor, calls/s).
"""

from __future__ import annotations

import functools
import math
import statistics
from typing import Any

from bench.suite.floor_server import FloorServer
from bench.suite.grpc_load import run_ghz, run_ghz_streams
from bench.suite.service import METRICS_FLAG, Service, server_has_flag

TEXT = "Paris"
CONCURRENCY = 256


def measure(
    workers: int, pipeline: str, server_args: str, seconds: float, metrics: bool, rounds: int
) -> dict[str, Any]:
    """`rounds` rounds of both loads on the floor, the service and (when asked) the service with metrics."""
    skipped = None if metrics else "--metrics off"
    if skipped is None and not server_has_flag(METRICS_FLAG):
        skipped = f"ner-server has no {METRICS_FLAG}"
    servers: dict[str, FloorServer | Service] = {}
    try:
        servers["floor"] = FloorServer()
        servers["service"] = Service(workers, pipeline, server_args, False)
        if skipped is None:
            servers["service_metrics"] = Service(workers, pipeline, server_args, True)
        measured = _rounds(servers, seconds, rounds)
    finally:
        for server in servers.values():
            server.stop()
    result: dict[str, Any] = {
        "text": TEXT,
        "concurrency": CONCURRENCY,
        "connections": 1,
        "rounds": rounds,
        "floor": _summary(measured["floor"], None),
        "service": {**_summary(measured["service"], measured["floor"]), "metrics": False},
        "service_metrics": None,
        "metrics_skipped": skipped,
    }
    if "service_metrics" in measured:
        result["service_metrics"] = {
            **_summary(measured["service_metrics"], measured["floor"]),
            "metrics": True,
        }
    return result


def _rounds(
    servers: dict[str, FloorServer | Service], seconds: float, rounds: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    texts = (TEXT,)
    for server in servers.values():
        run_ghz(server.address, texts, CONCURRENCY, 1, min(seconds, 1.0), 1.0)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {"unary": [], "stream": []} for name in servers}
    count = 0
    for index in range(rounds):
        order = list(servers) if index % 2 == 0 else list(reversed(servers))
        for name in order:
            unary = functools.partial(run_ghz, servers[name].address, texts, CONCURRENCY, 1, seconds, 1.0)
            runs[name]["unary"].append(servers[name].measured(unary))
        # One stream about as long as a unary run: as many texts as the floor's first one answered.
        count = count or max(1_000, math.ceil(runs["floor"]["unary"][0]["docs_per_s"] * seconds))
        for name in order:
            stream = functools.partial(run_ghz_streams, servers[name].address, texts, 1, count, 1.0)
            runs[name]["stream"].append(servers[name].measured(stream))
    return runs


def _summary(
    runs: dict[str, list[dict[str, Any]]], floor: dict[str, list[dict[str, Any]]] | None
) -> dict[str, Any]:
    """Per load the median round's run and every round's calls/s; against the floor, the median ratio."""
    summary: dict[str, Any] = {}
    for kind, each in runs.items():
        summary[kind] = sorted(each, key=lambda run: run["docs_per_s"])[(len(each) - 1) // 2]
        summary[f"{kind}_rounds"] = [run["docs_per_s"] for run in each]
    if floor is not None:
        summary["ratio_to_floor"] = {
            kind: statistics.median(
                _ratio(run, base) or 0.0 for run, base in zip(each, floor[kind], strict=True)
            )
            for kind, each in runs.items()
        }
    return summary


def _ratio(run: dict[str, Any], floor: dict[str, Any]) -> float | None:
    return run["docs_per_s"] / floor["docs_per_s"] if floor["docs_per_s"] else None
