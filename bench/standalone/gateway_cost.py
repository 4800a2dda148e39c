"""What the `ner-web` gateway costs: JSON calls through it against gRPC calls straight to the
service, in the same run on the same machine, at one concurrency.

    .venv/bin/python -m bench.standalone.gateway_cost [--seconds 10] [--rounds 3] [--concurrency 16]

One `ner-server` and one `ner-web` in front of it (on uvicorn; on hypercorn with `--h2c`). Per
corpus (the short sentence, and the corpus's paragraphs) and per round: `ghz` calls
ExtractEntities on the server (one HTTP/2 connection), and `wrk` POSTs the same texts as Connect
JSON to the gateway (one HTTP/1.1 connection per call in flight), each for `--seconds`, the order
swapped every other round.
Calls/s, p50 and p99 of each; the gateway's CPU seconds per call from /proc. Prints a table and
writes gateway_cost.json (default: into a new folder `bench/results/<UTC time>-gateway-cost/`). The
ratio is the median over rounds. Backs docs/benchmarks.md, "The gateway's cost", and docs/gateway.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.corpus import ROOT, SHARED_CORPUS
from bench.results_folder import new_folder
from tests.gateway_support import GatewayProcess
from tests.support import ServerProcess

CORPUS_DIR = SHARED_CORPUS
SHORT_SENTENCE = "Ada Lovelace was born in London in 1815."
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GOAL = 0.8  # paragraphs through the gateway, as a share of the direct calls/s

# wrk: POST each body in turn to the URL's path; prints one line "BENCH_JSON {...}" at the end.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("offset", #threads) end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do table.insert(bodies, line) end
  index = offset or 1
  statuses = {}
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local body = bodies[(index % #bodies) + 1]
  index = index + 1
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
end
function done(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      table.insert(parts, string.format('"%s": %d', key, count))
    end
  end
  io.write(string.format('BENCH_JSON {"duration_us": %d, "p50_us": %d, "p99_us": %d, "statuses": [{%s}]}\\n',
    summary.duration, latency:percentile(50), latency:percentile(99), table.concat(parts, "}, {")))
end
"""


def paragraphs() -> tuple[str, tuple[str, ...]]:
    """The corpus's paragraphs: gum_wiki_sentences.jsonl, or gum_wiki.jsonl split at its line breaks
    (the same 1,395 paragraphs)."""
    split = CORPUS_DIR / "gum_wiki_sentences.jsonl"
    if split.is_file():
        return split.name, tuple(json.loads(line)["text"] for line in split.open() if line.strip())
    whole = CORPUS_DIR / "gum_wiki.jsonl"
    if not whole.is_file():
        raise SystemExit(f"bench: no corpus at {CORPUS_DIR}: set NER_CORPUS_DIR")
    texts = [json.loads(line)["text"] for line in whole.open() if line.strip()]
    return f"{whole.name}, split at line breaks", tuple(
        part.strip() for text in texts for part in text.split("\n") if part.strip()
    )


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(str(ROOT / ".tools" / "bin" / name))
    if found is None:
        raise SystemExit(f"bench: {name} is not installed (make setup installs ghz; apt-get install wrk)")
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process (not its children)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def direct(address: str, texts: tuple[str, ...], concurrency: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "requests.json"
        data.write_text(json.dumps([{"text": text} for text in texts]))
        command = [
            tool("ghz"), "--insecure", "--proto", "protos/ner/v1/ner.proto", "--import-paths", "protos",
            "--call", "ner.v1.NerService.ExtractEntities", "--data-file", str(data),
            "--concurrency", str(concurrency), "--connections", "1", "--duration", f"{seconds:g}s",
            "--timeout", "30s", "--duration-stop", "wait", "--format", "json", address,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=seconds + 120)
    report = json.loads(done.stdout)
    statuses = dict(report.get("statusCodeDistribution") or {})
    ok = statuses.pop("OK", 0)
    latency = {row["percentage"]: row["latency"] / 1e6 for row in report.get("latencyDistribution") or []}
    duration = report["total"] / 1e9
    return {"calls_per_s": ok / duration, "p50_ms": latency.get(50), "p99_ms": latency.get(99), "ok": ok,
            "errors": statuses}  # fmt: skip


def through_gateway(url: str, texts: tuple[str, ...], concurrency: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        script, bodies = Path(scratch) / "post.lua", Path(scratch) / "bodies.jsonl"
        script.write_text(WRK_SCRIPT)
        bodies.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts))
        command = [
            tool("wrk"), "-t", "2", "-c", str(concurrency), "-d", f"{seconds:g}s", "--timeout", "30s",
            "-s", str(script), f"{url}/ner.v1.NerService/ExtractEntities", "--", str(bodies),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 120)
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    statuses: dict[str, int] = {}
    for part in raw["statuses"]:
        for code, count in part.items():
            statuses[code] = statuses.get(code, 0) + count
    ok = statuses.pop("200", 0)
    return {"calls_per_s": ok / (raw["duration_us"] / 1e6), "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "ok": ok, "errors": statuses}  # fmt: skip


def idle_share(seconds: float = 1.0) -> float:
    """Share of the machine's CPU time idle over `seconds`: near 1.0 when nothing else runs."""

    def times() -> list[int]:
        with open("/proc/stat") as handle:
            return [int(value) for value in handle.readline().split()[1:]]

    before = times()
    time.sleep(seconds)
    after = times()
    total = sum(after) - sum(before)
    return ((after[3] + after[4]) - (before[3] + before[4])) / total if total else 1.0


def measure(
    server: ServerProcess, gateway: GatewayProcess, texts: tuple[str, ...], args: argparse.Namespace
) -> dict[str, Any]:
    rounds = []
    for number in range(args.rounds):
        runs: dict[str, Any] = {}
        order = ["direct", "gateway"] if number % 2 == 0 else ["gateway", "direct"]
        for path in order:
            server_cpu = cpu_seconds(server.pid)
            if path == "direct":
                runs[path] = direct(server.address, texts, args.concurrency, args.seconds)
            else:
                gateway_cpu = cpu_seconds(gateway.process.pid)
                runs[path] = through_gateway(gateway.url, texts, args.concurrency, args.seconds)
                used = cpu_seconds(gateway.process.pid) - gateway_cpu
                runs[path]["gateway_cpu_ms_per_call"] = 1000 * used / max(runs[path]["ok"], 1)
            runs[path]["server_front_cpu_ms_per_call"] = (
                1000 * (cpu_seconds(server.pid) - server_cpu) / max(runs[path]["ok"], 1)
            )
        runs["ratio"] = runs["gateway"]["calls_per_s"] / runs["direct"]["calls_per_s"]
        rounds.append(runs)
    return {
        "rounds": rounds,
        "ratio_median": statistics.median(run["ratio"] for run in rounds),
        "direct_calls_per_s_median": statistics.median(run["direct"]["calls_per_s"] for run in rounds),
        "gateway_calls_per_s_median": statistics.median(run["gateway"]["calls_per_s"] for run in rounds),
        "gateway_cpu_ms_per_call_median": statistics.median(
            run["gateway"]["gateway_cpu_ms_per_call"] for run in rounds
        ),
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "| corpus | round | direct calls/s | p50 / p99 ms | gateway calls/s | p50 / p99 ms | ratio "
        "| gateway CPU ms/call |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, corpus in results["corpora"].items():
        for number, run in enumerate(corpus["rounds"], 1):
            d, g = run["direct"], run["gateway"]
            lines.append(
                f"| {name} | {number} | {d['calls_per_s']:.1f} | {d['p50_ms']:.1f} / {d['p99_ms']:.1f} | "
                f"{g['calls_per_s']:.1f} | {g['p50_ms']:.1f} / {g['p99_ms']:.1f} | {run['ratio']:.2f} | "
                f"{g['gateway_cpu_ms_per_call']:.2f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="bench.standalone.gateway_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=3, help="direct/gateway pairs per corpus")
    parser.add_argument("--concurrency", type=int, default=16, help="calls in flight")
    parser.add_argument("--workers", type=int, default=2, help="the server's worker processes")
    parser.add_argument("--h2c", action="store_true", help="run the gateway with --h2c (hypercorn)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    source, paragraph_texts = paragraphs()
    corpora = {"short sentence": (SHORT_SENTENCE,), "paragraphs": paragraph_texts}
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "idle_share": idle_share()},
        "settings": {**{k: v for k, v in vars(args).items() if k != "out"}, "paragraphs": source},
        "corpora": {},
    }
    server = ServerProcess(["--workers", str(args.workers)])
    try:
        server.wait_serving()
        extra = ["--h2c"] if args.h2c else []
        gateway = GatewayProcess(server.address, "--max-calls", str(4 * args.concurrency), *extra)
        try:
            for texts in corpora.values():  # warm-up: both paths, every text seen once
                direct(server.address, texts, args.concurrency, 2)
                through_gateway(gateway.url, texts, args.concurrency, 2)
            for name, texts in corpora.items():
                results["corpora"][name] = measure(server, gateway, texts, args)
        finally:
            gateway.stop()
    finally:
        server.stop()
    results["machine"]["idle_share_after"] = idle_share()
    ratio = results["corpora"]["paragraphs"]["ratio_median"]
    results["goal"] = {"paragraphs_ratio": ratio, "at_least": GOAL, "met": ratio >= GOAL}
    args.out = args.out or new_folder("gateway-cost") / "gateway_cost.json"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"paragraphs through the gateway / direct: {ratio:.2f} (goal >= {GOAL}); wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
