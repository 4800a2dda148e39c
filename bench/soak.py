"""Soak: hold the server at saturation for N minutes with mixed good and bad input.

Reports calls and errors by status per kind of input, and server memory (RSS and PSS over its
process tree) over time; writes JSON and a PNG plot. Not part of the test run.

    .venv/bin/python -m bench.soak --minutes 10
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from pathlib import Path

import grpc
from ner_client.proto import ner_pb2, ner_pb2_grpc

from bench.memory import tree_memory
from tests.support import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench" / "results"


def load_texts(name: str) -> list[str]:
    return [
        json.loads(line)["text"] for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line
    ]


class Soak:
    def __init__(self, address: str, paragraphs: list[str], documents: list[str], max_chars: int) -> None:
        self.address = address
        self.paragraphs = paragraphs
        self.documents = documents
        self.max_chars = max_chars
        self.counts: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def record(self, kind: str, code: grpc.StatusCode) -> None:
        with self.lock:
            self.counts[(kind, code.name)] += 1

    def unary_caller(self, seed: int) -> None:
        chooser = random.Random(seed)
        with grpc.insecure_channel(self.address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            raw = channel.unary_unary("/ner.v1.NerService/ExtractEntities", None, None)
            while not self.stop.is_set():
                kind, call = self.pick(chooser, stub, raw)
                try:
                    call()
                    self.record(kind, grpc.StatusCode.OK)
                except grpc.RpcError as error:
                    self.record(kind, error.code())

    def pick(self, chooser: random.Random, stub, raw):  # type: ignore[no-untyped-def]
        roll = chooser.random()
        Request = ner_pb2.ExtractEntitiesRequest
        if roll < 0.6:
            text = f"{chooser.choice(self.paragraphs)} Ref {chooser.randrange(10**9)}."
            return "paragraph", lambda: stub.ExtractEntities(Request(text=text), timeout=30)
        if roll < 0.8:
            text = chooser.choice(self.documents)
            return "document", lambda: stub.ExtractEntities(Request(text=text), timeout=30)
        if roll < 0.85:
            return "empty", lambda: stub.ExtractEntities(Request(text=""), timeout=30)
        if roll < 0.9:
            text = "x" * (self.max_chars + 1)
            return "too_long", lambda: stub.ExtractEntities(Request(text=text), timeout=30)
        if roll < 0.95:
            return "bad_label", lambda: stub.ExtractEntities(
                Request(text="Oslo.", labels=["NOPE"]), timeout=30
            )
        return "invalid_utf8", lambda: raw(b"\x0a\x03\xff\xfe\xfd", timeout=30)

    def stream_caller(self, seed: int) -> None:
        chooser = random.Random(seed)
        with grpc.insecure_channel(self.address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            while not self.stop.is_set():
                texts = [chooser.choice(self.paragraphs) for _ in range(200)]
                texts[chooser.randrange(200)] = ""  # one bad document per stream
                requests = (
                    ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=str(i), text=t))
                    for i, t in enumerate(texts)
                )
                try:
                    for response in stub.StreamExtractEntities(requests, timeout=120):
                        code = response.result.error.code if response.result.HasField("error") else 0
                        self.record(
                            "stream_document",
                            grpc.StatusCode.OK if code == 0 else grpc.StatusCode.INVALID_ARGUMENT,
                        )
                except grpc.RpcError as error:
                    self.record("stream", error.code())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--callers", type=int, default=24)
    parser.add_argument("--streams", type=int, default=2)
    parser.add_argument("--sample-seconds", type=float, default=10)
    args = parser.parse_args()

    server = ServerProcess(["--workers", str(args.workers)])
    server.wait_serving()
    soak = Soak(server.address, load_texts("gum_wiki_sentences.jsonl"), load_texts("gum_wiki.jsonl"), 100_000)
    threads = [threading.Thread(target=soak.unary_caller, args=(i,)) for i in range(args.callers)]
    threads += [threading.Thread(target=soak.stream_caller, args=(1000 + i,)) for i in range(args.streams)]
    for thread in threads:
        thread.start()
    samples = []
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < args.minutes * 60:
            memory = tree_memory(server.pid)
            with soak.lock:
                calls = sum(soak.counts.values())
            sample = {"seconds": round(elapsed, 1), "calls": calls, **memory.as_dict()}
            samples.append(sample)
            print(
                f"{elapsed:7.0f}s  calls {calls:8d}  "
                f"RSS {memory.rss_mib:8.1f} MiB  PSS {memory.pss_mib:8.1f} MiB",
                flush=True,
            )
            time.sleep(args.sample_seconds)
    finally:
        soak.stop.set()
        for thread in threads:
            thread.join(180)
        alive = server.process.poll() is None
        exit_code = server.stop()
    report = {
        "minutes": args.minutes,
        "workers": args.workers,
        "callers": args.callers,
        "streams": args.streams,
        "server_alive_at_end": alive,
        "server_exit_code": exit_code,
        "counts": {f"{kind}/{code}": n for (kind, code), n in sorted(soak.counts.items())},
        "memory": samples,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2))
    print_summary(report)
    plot(samples, RESULTS / "soak_memory.png")


def print_summary(report: dict) -> None:  # type: ignore[type-arg]
    print(f"\n{'input/status':40s} {'calls':>10s}")
    for key, count in report["counts"].items():
        print(f"{key:40s} {count:10d}")
    memory = report["memory"]
    warm = memory[min(len(memory) - 1, 6)]
    last = memory[-1]
    growth = (last["rss_mib"] - warm["rss_mib"]) / warm["rss_mib"] * 100
    print(f"\nRSS after warm-up {warm['rss_mib']} MiB, at the end {last['rss_mib']} MiB ({growth:+.1f}%)")
    print(f"server alive at end: {report['server_alive_at_end']}, exit code {report['server_exit_code']}")


def plot(samples: list[dict], path: Path) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4))
    minutes = [s["seconds"] / 60 for s in samples]
    axis.plot(minutes, [s["rss_mib"] for s in samples], label="RSS (sum over processes)")
    axis.plot(minutes, [s["pss_mib"] for s in samples], label="PSS (sum over processes)")
    axis.set_xlabel("minutes under saturation")
    axis.set_ylabel("MiB")
    axis.set_ylim(bottom=0)
    axis.set_title("ner-server memory during the soak")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
