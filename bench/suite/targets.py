"""The speed targets (issues 3 and 10), checked against one run's results: ratio, PASS or MISS.

The ratios to the ceiling and to the floor are checked for every worker count of the run (`workers`
on each check); the rest once. A ratio to the ceiling is the median of the rounds that paired the
load with the ceiling (`bench.suite.paired`) where the run has them; the detail also gives the sweep's
run of that load against the faster of the two ceilings that bracket the sweep.

Backs docs/benchmarks.md, "Targets": PASS or MISS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from statistics import median
from typing import Any

LONG = "gum_wiki"
PARAGRAPHS = "gum_wiki_sentences"


@dataclass(frozen=True)
class RatioGoals:
    """One corpus's service as a share of its ceiling: per unary concurrency on one connection, and
    on one stream."""

    unary: dict[int, float]
    stream: float


def ratio_goals(workers: int) -> dict[str, RatioGoals]:
    """Issue 10's goals: the 2-core machine's for up to 2 workers, the 8-worker ones up to 8, and
    the 14-worker ones past that."""
    if workers <= 2:
        return {LONG: RatioGoals({16: 0.95}, 0.95), PARAGRAPHS: RatioGoals({64: 0.85}, 0.90)}
    if workers <= 8:
        return {LONG: RatioGoals({64: 0.90}, 0.90), PARAGRAPHS: RatioGoals({64: 0.90, 256: 0.90}, 0.90)}
    return {LONG: RatioGoals({64: 0.90}, 0.90), PARAGRAPHS: RatioGoals({256: 0.85}, 0.85)}


@dataclass(frozen=True)
class Check:
    name: str
    measured: float | None
    target: str
    passed: bool | None
    detail: str = ""
    workers: int | None = None

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a"}[self.passed]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def check_all(results: dict[str, Any]) -> list[Check]:
    checks = [
        replace(check, workers=int(workers))
        for workers, section in results.get("by_workers", {}).items()
        for check in check_section(section, int(workers))
    ]
    once = [
        _at_most(results.get("short_sentence", {}).get("p50_ms"), "one short sentence, c=1, p50 ms", 3.0),
        _start(results),
        _at_most(results.get("memory_workers", {}).get("pss_ratio"), "PSS, 2 workers / 1 worker", 1.4),
        _at_most(results.get("distinct", {}).get("rss_growth_pct"), "distinct paragraphs, RSS growth %", 5.0),
    ]
    return [*checks, *once]


def check_section(section: dict[str, Any], workers: int) -> list[Check]:
    """The targets of one worker count: against its ceiling, the baseline and the floor."""
    corpora = section.get("corpora", {})
    front = section.get("front")
    vs_ceiling = []
    for corpus_name, what in ((LONG, "long documents"), (PARAGRAPHS, "paragraphs")):
        goals = ratio_goals(workers)[corpus_name]
        corpus = corpora.get(corpus_name)
        for concurrency, goal in goals.unary.items():
            vs_ceiling.append(_vs_ceiling(corpus, what, concurrency, goal))
        vs_ceiling.append(_stream_vs_ceiling(corpus, f"{what}, one stream", goals.stream))
    return [
        *vs_ceiling,
        _vs_baseline(corpora.get(PARAGRAPHS), "paragraphs, best service vs best baseline", 7.0),
        _vs_baseline(corpora.get(LONG), "long documents, best service vs best baseline", 3.0),
        _c256(corpora),
        _vs_floor(front, "unary", "front capacity, one-word texts, unary c=256 on one connection", 0.75),
        _vs_floor(front, "stream", "front capacity, one-word texts, one stream", 0.85),
    ]


def _unary(corpus: dict[str, Any] | None, concurrency: int, connections: int) -> dict[str, Any] | None:
    for run in (corpus or {}).get("service", {}).get("unary", []):
        if run["concurrency"] == concurrency and run["connections"] == connections:
            return run
    return None


def _ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def _at_least(ratio: float | None, name: str, goal: float, detail: str = "") -> Check:
    return Check(name, ratio, f">= {goal:g}", None if ratio is None else ratio >= goal, detail)


def _at_most(value: float | None, name: str, goal: float, detail: str = "") -> Check:
    return Check(name, value, f"<= {goal:g}", None if value is None else value <= goal, detail)


def _vs_ceiling(corpus: dict[str, Any] | None, what: str, concurrency: int, goal: float) -> Check:
    run = _unary(corpus, concurrency, 1)
    ceiling = (corpus or {}).get("ceiling", {}).get("docs_per_s")
    service = run["docs_per_s"] if run else None
    pairs = (corpus or {}).get("paired", {}).get("unary", {}).get(str(concurrency))
    name = f"{what}, unary, c={concurrency}, one connection"
    return _paired_or_sweep(pairs, name, goal, service, ceiling, "")


def _stream_vs_ceiling(corpus: dict[str, Any] | None, name: str, goal: float) -> Check:
    # ghz drives the stream when it ran (the unary runs' tool, the lightest client); else the Python client.
    runs = [run for run in (corpus or {}).get("service", {}).get("streams", []) if run["streams"] == 1]
    runs.sort(key=lambda run: run.get("client") != "ghz")
    ceiling = (corpus or {}).get("ceiling", {}).get("docs_per_s")
    service = runs[0]["docs_per_s"] if runs else None
    client = f" ({runs[0].get('client', 'python')} client)" if runs else ""
    pairs = (corpus or {}).get("paired", {}).get("stream")
    return _paired_or_sweep(pairs, name, goal, service, ceiling, client)


def _paired_or_sweep(
    pairs: dict[str, Any] | None,
    name: str,
    goal: float,
    service: float | None,
    ceiling: float | None,
    client: str,
) -> Check:
    sweep = _ratio(service, ceiling)
    sweep_detail = f"{_pair(service, ceiling)}{client}" if sweep is not None else ""
    if not pairs:
        return _at_least(sweep, f"{name} / ceiling", goal, sweep_detail)
    rounds = ", ".join(f"{run['ratio']:.3f}" for run in pairs["rounds"])
    detail = f"median of paired rounds {rounds}"
    if sweep is not None:
        detail += f"; sweep {sweep:.3f}: {sweep_detail} (faster ceiling)"
    return _at_least(pairs["median_ratio"], f"{name} / ceiling", goal, detail)


def _vs_floor(front: dict[str, Any] | None, kind: str, name: str, goal: float) -> Check:
    """The service without metrics against the bare gRPC floor, the median of the rounds; with
    metrics only in the detail."""
    if not front:
        return _at_least(None, f"{name} / floor", goal)
    service, floor = front["service"][f"{kind}_rounds"], front["floor"][f"{kind}_rounds"]
    rounds = ", ".join(f"{ours:.0f} vs {theirs:.0f}" for ours, theirs in zip(service, floor, strict=True))
    detail = f"median of rounds of {rounds} calls/s"
    with_metrics = front.get("service_metrics")
    ratio = with_metrics["ratio_to_floor"][kind] if with_metrics else None
    detail += "; with metrics " + ("n/a" if ratio is None else f"{ratio:.3g}")
    return _at_least(front["service"]["ratio_to_floor"][kind], f"{name} / floor", goal, detail)


def _vs_baseline(corpus: dict[str, Any] | None, name: str, goal: float) -> Check:
    service_runs = [
        *(corpus or {}).get("service", {}).get("unary", []),
        *(corpus or {}).get("service", {}).get("streams", []),
    ]
    baseline_runs = (corpus or {}).get("baseline", {}).get("runs", [])
    service = max((run["docs_per_s"] for run in service_runs), default=None)
    baseline = max((run["docs_per_s"] for run in baseline_runs), default=None)
    return _at_least(_ratio(service, baseline), f"{name} (x)", goal, _pair(service, baseline))


def _c256(corpora: dict[str, Any]) -> Check:
    runs = [run for corpus in corpora.values() for run in corpus.get("service", {}).get("unary", [])]
    runs = [run for run in runs if run["concurrency"] == 256]
    if not runs:
        return Check("c=256: errors other than RESOURCE_EXHAUSTED", None, "0", None)
    bad = sum(count for run in runs for code, count in run["errors"].items() if code != "ResourceExhausted")
    shed = sum(run["errors"].get("ResourceExhausted", 0) for run in runs)
    worst_p99 = max((run["p99_ms"] or 0) for run in runs)
    detail = f"RESOURCE_EXHAUSTED {shed}, worst p99 {worst_p99:.0f} ms"
    return Check("c=256: errors other than RESOURCE_EXHAUSTED", bad, "0", bad == 0, detail)


def _start(results: dict[str, Any]) -> Check:
    starts = results.get("service_start_seconds", [])
    value = median(starts) if starts else None
    detail = "median of " + ", ".join(f"{start:.2f}" for start in starts) if starts else ""
    return _at_most(value, "process start to SERVING, 2 workers, s", 3.0, detail)


def _pair(service: float | None, reference: float | None) -> str:
    if service is None or reference is None:
        return ""
    return f"{service:.1f} vs {reference:.1f} docs/s"
