"""A tiny run of the benchmark: it must still run end to end and write its JSON and plot.

Only that: the numbers of so short a run mean nothing, and no test asserts on timings.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests import texts
from tests.conftest import require_tool
from tests.tag_support import write_jsonl


def test_bench_quick_run_writes_results_and_plot(tmp_path: Path) -> None:
    require_tool("ghz")
    from bench.suite.run import main

    corpus = write_jsonl(tmp_path / "project_paragraphs.jsonl", texts.PARAGRAPHS)
    # Two seconds a run, not less: ghz starts its --duration clock before it dials, and on a busy
    # machine a shorter run can end before its workers start (ghz then panics: "send on closed channel").
    main(
        [
            "--corpus", str(corpus), "--limit", "12", "--quick",
            "--parts", "ceiling,service,front", "--seconds", "2", "--concurrencies", "1,4",
            "--batch-sizes", "8", "--streams", "2", "--out", str(tmp_path),
        ]
    )  # fmt: skip

    results = json.loads((tmp_path / "results.json").read_text())
    entry = results["corpora"]["project_paragraphs"]
    assert entry["corpus"]["docs"] == 12
    assert entry["ceiling"]["docs_per_s"] > 0
    assert entry["ceiling"]["docs_per_s"] == max(entry["ceiling"]["runs_docs_per_s"])  # before and after
    assert {run["concurrency"] for run in entry["service"]["unary"]} == {1, 4}
    for run in [*entry["service"]["unary"], *entry["service"]["streams"]]:
        assert run["ok"] > 0
        assert run["errors"] == {}
        assert {"docs_per_s", "words_per_s", "p50_ms", "p95_ms", "p99_ms"} <= run.keys()
    streams = [(run["client"], run["streams"]) for run in entry["service"]["streams"]]
    assert streams == [("python", 1), ("python", 2), ("ghz", 1), ("ghz", 2)]
    assert all(run.get("out_of_order", 0) == 0 for run in entry["service"]["streams"])
    pairs = entry["paired"]  # --quick: one round of each load, paired with the ceiling
    assert list(pairs["unary"]) == ["4"]  # no target names this corpus: the run's highest concurrency
    for load in (pairs["unary"]["4"], pairs["stream"]):
        (only,) = load["rounds"]
        assert only["errors"] == {}
        assert load["median_ratio"] == only["ratio"] > 0
    front = results["front"]  # the floor and the service with and without metrics, one round each
    for name in ("floor", "service", "service_metrics"):
        for kind in ("unary", "stream"):
            assert front[name][kind]["errors"] == {}
            assert front[name][f"{kind}_rounds"] == [front[name][kind]["docs_per_s"]]
    assert all(front["service"]["ratio_to_floor"][kind] > 0 for kind in ("unary", "stream"))
    assert entry["service"]["memory"]["pss_mib"] > 0
    assert results["service_start_seconds"]
    assert {check["verdict"] for check in results["targets"]} <= {"PASS", "MISS", "n/a"}
    assert (tmp_path / "project_paragraphs.png").read_bytes().startswith(b"\x89PNG")
