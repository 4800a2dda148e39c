"""The floor: a bare grpc.aio `ner.v1.NerService` that parses each request and answers one fixed entity.

No batcher, no workers, no model: what gRPC itself costs per call on this machine, the most a front
process could ever serve. `ExtractEntities` answers one entity; `StreamExtractEntities` answers each
request with one entity under the request's id, and `BatchExtractEntities` each document of the
batch. Reflection is on, as in the service.

    .venv/bin/python -m bench.suite.floor_server --port 0      # prints the port bound, serves until SIGTERM

`FloorServer` starts it so in a subprocess and stops it.

Backs docs/benchmarks.md (front capacity) and, through `bench.standalone.bulk_client`,
docs/bulk.md ("How fast one client is").
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
from grpc_reflection.v1alpha import reflection
from ner_client.proto import ner_pb2, ner_pb2_grpc

from bench.corpus import ROOT

ENTITY = ner_pb2.Entity(
    text="Paris",
    label="GPE",
    start_char=0,
    end_char=5,
    start_byte=0,
    end_byte=5,
    start_token=0,
    end_token=1,
    start_utf16=0,
    end_utf16=5,
)


class FloorServicer(ner_pb2_grpc.NerServiceServicer):  # type: ignore[misc]
    async def ExtractEntities(self, request: Any, context: Any) -> Any:
        return ner_pb2.ExtractEntitiesResponse(entities=[ENTITY])

    async def BatchExtractEntities(self, request: Any, context: Any) -> Any:
        results = [
            ner_pb2.DocumentEntities(id=document.id, entities=[ENTITY]) for document in request.documents
        ]
        return ner_pb2.BatchExtractEntitiesResponse(results=results)

    async def StreamExtractEntities(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
        async for request in requests:
            result = ner_pb2.DocumentEntities(id=request.document.id, entities=[ENTITY])
            yield ner_pb2.StreamExtractEntitiesResponse(result=result)

    async def GetModelInfo(self, request: Any, context: Any) -> Any:
        return ner_pb2.GetModelInfoResponse(model_name="floor", workers=0)


async def serve(port: int) -> None:
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    ner_pb2_grpc.add_NerServiceServicer_to_server(FloorServicer(), server)
    service = ner_pb2.DESCRIPTOR.services_by_name["NerService"].full_name
    reflection.enable_server_reflection((service, reflection.SERVICE_NAME), server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    print(bound, flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(1)


class FloorServer:
    """The floor in its own process, on a free loopback port; `address` is what ghz dials."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.suite.floor_server", "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip().isdigit():
            self.process.kill()
            raise RuntimeError(f"floor server did not start (said {line!r})")
        self.address = f"127.0.0.1:{int(line)}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def measured(self, load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`load()`'s result as it is: the floor keeps no metrics (as `Service.measured`, without them)."""
        return load()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    asyncio.run(serve(parser.parse_args(argv).port))


if __name__ == "__main__":
    main()
