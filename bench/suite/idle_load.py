"""Memory of the front process with idle clients: open connections, then open streams (issue 11).

    .venv/bin/python -m bench.suite.idle_load                  # 2,000 connections, then 5,000 streams
    .venv/bin/python -m bench.suite.idle_load --connections 200 --streams 500 --server-args "--workers 1"

Starts `ner-server --workers 1` and measures the front process's RSS and PSS (the server's own pid;
the workers are not counted). Then opens `--connections` grpc.aio channels, each on a connection of
its own (a local subchannel pool) and connected by one GetModelInfo call, and measures again; then
opens `--streams` StreamExtractEntities calls over the first `--stream-connections` of those
channels, each sent one short document whose answer is read (so the server certainly holds the
call) and then left idle, and measures again. Reports MiB per 1,000 connections and per 1,000
streams, how many streams opened and any refusals by status code, and writes `idle.json` to `--out`.
Loopback only; every call has a deadline and the whole run is bounded by `--timeout`.

Backs docs/benchmarks.md: idle clients (MiB per 1,000 connections and per 1,000 streams).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
from ner_client.proto import ner_pb2, ner_pb2_grpc

from bench.results_folder import new_folder
from bench.suite.memory import process_memory
from bench.suite.service import Service

OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)
TEXT = "Paris"


def raise_file_limit(needed: int) -> dict[str, int]:
    """Soft RLIMIT_NOFILE up to the hard limit (the server started after inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft_now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return {"soft_before": soft, "soft": soft_now, "hard": hard, "needed": needed}


class IdleClients:
    """Channels and streams held open, and what each step refused."""

    def __init__(self, address: str, deadline: float) -> None:
        self.address = address
        self.deadline = deadline
        self.channels: list[grpc.aio.Channel] = []
        self.calls: list[Any] = []
        self.connect_errors: Counter[str] = Counter()
        self.stream_errors: Counter[str] = Counter()

    def _timeout(self) -> float:
        return max(1.0, self.deadline - time.monotonic())

    async def connect(self, count: int, parallel: int = 64) -> None:
        gate = asyncio.Semaphore(parallel)

        async def one() -> None:
            channel = grpc.aio.insecure_channel(self.address, options=[OWN_CONNECTION])
            self.channels.append(channel)
            async with gate:
                try:
                    await ner_pb2_grpc.NerServiceStub(channel).GetModelInfo(
                        ner_pb2.GetModelInfoRequest(), timeout=min(30.0, self._timeout())
                    )
                except grpc.aio.AioRpcError as error:
                    self.connect_errors[error.code().name] += 1

        await asyncio.gather(*(one() for _ in range(count)))

    async def open_streams(self, count: int, over: int, parallel: int = 64) -> None:
        gate = asyncio.Semaphore(parallel)
        stubs = [ner_pb2_grpc.NerServiceStub(channel) for channel in self.channels[:over]]

        async def one(index: int) -> None:
            async with gate:
                call = stubs[index % len(stubs)].StreamExtractEntities(timeout=self._timeout())
                document = ner_pb2.Document(id=str(index), text=TEXT)
                try:
                    await call.write(ner_pb2.StreamExtractEntitiesRequest(document=document))
                except grpc.aio.AioRpcError as error:
                    self.stream_errors[_write_failure(error)] += 1
                    return
                try:
                    answer = await call.read()
                except grpc.aio.AioRpcError as error:
                    self.stream_errors[error.code().name] += 1
                    return
                if answer is grpc.aio.EOF:
                    self.stream_errors[(await call.code()).name] += 1
                elif answer.result.HasField("error"):
                    self.stream_errors[f"document error {answer.result.error.code}"] += 1
                    self.calls.append(call)
                else:
                    self.calls.append(call)

        await asyncio.gather(*(one(index) for index in range(count)))

    async def close(self) -> None:
        for call in self.calls:
            call.cancel()
        await asyncio.gather(*(channel.close() for channel in self.channels))


def _write_failure(error: grpc.aio.AioRpcError) -> str:
    """A write that failed because the server had already ended the call (here: refused it at the
    call limit) is reported by grpc.aio as INTERNAL "Internal error from Core" in place of the
    server's status (grpc/grpc#36066); it is counted apart so it does not read as a server error."""
    if error.code() is grpc.StatusCode.INTERNAL and error.details() == "Internal error from Core":
        return "INTERNAL on write, call already ended (grpc/grpc#36066)"
    return str(error.code().name)


async def _warm_up(address: str) -> None:
    """One call of each kind, so that what the first calls set up is not counted as idle memory."""
    async with grpc.aio.insecure_channel(address, options=[OWN_CONNECTION]) as channel:
        stub = ner_pb2_grpc.NerServiceStub(channel)
        await stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30)
        await stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=TEXT), timeout=30)
        call = stub.StreamExtractEntities(timeout=30)
        await call.write(ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id="0", text=TEXT)))
        await call.read()
        await call.done_writing()
        await call.code()


def _memory(pid: int, settle: float) -> dict[str, float]:
    time.sleep(settle)
    return process_memory(pid).as_dict()


async def _measure(service: Service, args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    await _warm_up(service.address)
    memory = {"start": _memory(service.pid, args.settle)}
    clients = IdleClients(service.address, deadline)
    try:
        began = time.monotonic()
        await clients.connect(args.connections)
        connect_seconds = time.monotonic() - began
        memory["connections"] = _memory(service.pid, args.settle)
        began = time.monotonic()
        await clients.open_streams(args.streams, min(args.stream_connections, len(clients.channels)))
        stream_seconds = time.monotonic() - began
        memory["streams"] = _memory(service.pid, args.settle)
    finally:
        await clients.close()
    connected = args.connections - sum(clients.connect_errors.values())
    connections = {"asked": args.connections, "connected": connected, "errors": dict(clients.connect_errors)}
    streams = {"asked": args.streams, "opened": len(clients.calls), "refused": dict(clients.stream_errors)}
    connections["seconds"], streams["seconds"] = connect_seconds, stream_seconds
    streams["over_connections"] = min(args.stream_connections, len(clients.channels))
    return {"memory": memory, "connections": connections, "streams": streams}


def _per_thousand(after: dict[str, float], before: dict[str, float], count: int) -> dict[str, float | None]:
    return {
        key: (after[key] - before[key]) / count * 1000 if count else None for key in ("rss_mib", "pss_mib")
    }


def _server_file_limit(pid: int) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return " ".join(line.split()[3:5])
    except OSError:
        pass
    return None


def measure(args: argparse.Namespace) -> dict[str, Any]:
    limits = raise_file_limit(args.connections + args.stream_connections + 256)
    if limits["soft"] < limits["needed"]:
        args.connections = max(0, limits["soft"] - args.stream_connections - 256)
        print(f"open-file limit {limits['soft']}: only {args.connections} connections")
    service = Service(args.workers, "entities", args.server_args)
    try:
        deadline = time.monotonic() + args.timeout
        result = asyncio.run(asyncio.wait_for(_measure(service, args, deadline), args.timeout))
        result["server_file_limit"] = _server_file_limit(service.pid)
    finally:
        service.stop()
    memory = result["memory"]
    connected, opened = result["connections"]["connected"], result["streams"]["opened"]
    result.update(workers=args.workers, server_args=args.server_args, file_limit=limits)
    result["per_1000_connections_mib"] = _per_thousand(memory["connections"], memory["start"], connected)
    result["per_1000_streams_mib"] = _per_thousand(memory["streams"], memory["connections"], opened)
    result["summary"] = summary(result)
    return result


def summary(result: dict[str, Any]) -> str:
    memory, connections, streams = result["memory"], result["connections"], result["streams"]
    conn, stream = result["per_1000_connections_mib"], result["per_1000_streams_mib"]
    refused = ", ".join(f"{code} {count}" for code, count in streams["refused"].items()) or "none refused"
    return (
        f"RSS {memory['start']['rss_mib']:.0f} MiB idle; {connections['connected']:,} connections "
        f"-> {memory['connections']['rss_mib']:.0f} MiB ({_per(conn)} per 1,000); "
        f"{streams['opened']:,} of {streams['asked']:,} streams over {streams['over_connections']} "
        f"connections -> {memory['streams']['rss_mib']:.0f} MiB ({_per(stream)} per 1,000; {refused})"
    )


def _per(growth: dict[str, float | None]) -> str:
    rss, pss = growth["rss_mib"], growth["pss_mib"]
    return "-" if rss is None or pss is None else f"RSS {rss:+.1f} MiB, PSS {pss:+.1f} MiB"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=2000, help="idle connections, one channel each")
    parser.add_argument("--streams", type=int, default=5000, help="idle open StreamExtractEntities calls")
    parser.add_argument("--stream-connections", type=int, default=50, help="connections the streams share")
    parser.add_argument("--workers", type=int, default=1, help="server workers")
    parser.add_argument("--server-args", default="", help="extra ner-server flags, e.g. to raise limits")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait before each measure")
    parser.add_argument("--timeout", type=float, default=300.0, help="the most the client part may take, s")
    parser.add_argument(
        "--out", type=Path, help="results folder (default: a new dated one under bench/results/)"
    )
    args = parser.parse_args(argv)
    result = measure(args)
    args.out = args.out or new_folder("idle")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "idle.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"idle clients, front process: {result['summary']}")
    return result


if __name__ == "__main__":
    main()
