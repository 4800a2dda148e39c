"""Assembles the service: worker pool, batcher, NerService, health, reflection and metrics."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ner_server.front.batcher import Batcher, BatchLimits
from ner_server.front.metrics import Metrics
from ner_server.front.reflection import enable_reflection
from ner_server.front.registration import SERVICE, add_ner_service
from ner_server.front.servicer import NerServicer
from ner_server.front.settings import Settings
from ner_server.pool import WorkerPool
from ner_server.shared.model_info import ModelInfo

log = logging.getLogger(__name__)

SERVICE_NAME = SERVICE.full_name
HEALTH_NAMES = ("", SERVICE_NAME)


@dataclass
class RunningServer:
    """A started server; `port` is the one bound (useful when asked for port 0)."""

    server: grpc.aio.Server
    port: int
    pool: WorkerPool
    batcher: Batcher
    health: health.aio.HealthServicer
    model: asyncio.Future[ModelInfo]
    servicer: NerServicer

    async def stop(self, grace: float) -> None:
        """NOT_SERVING, refuse new calls, let in-flight ones finish for `grace` seconds, stop workers."""
        await self.health.enter_graceful_shutdown()
        self.servicer.stop_reading_streams()
        await self.server.stop(grace)
        await self.batcher.stop()
        await self.pool.stop()


async def start_server(settings: Settings) -> RunningServer:
    """Listen at once (health NOT_SERVING) and bring the workers up in the background."""
    metrics = Metrics() if settings.metrics_port else Metrics.off()
    health_servicer = health.aio.HealthServicer()
    for name in HEALTH_NAMES:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)

    started = time.monotonic()

    async def on_readiness(ready: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in HEALTH_NAMES:
            await health_servicer.set(name, status)
        log.info(
            "serving" if ready else "not serving",
            extra={"seconds_since_start": round(time.monotonic() - started, 3)},
        )

    pool = WorkerPool(
        size=settings.workers,
        config=settings.worker_config(),
        pin_workers=settings.pin_workers,
        on_readiness=on_readiness,
        on_restart=metrics.restarted,
    )
    model = asyncio.get_running_loop().create_future()
    batcher = Batcher(
        BatchLimits(
            max_documents=settings.batch_max_documents,
            max_bytes=settings.batch_max_bytes,
            max_queued_documents=settings.max_queued_documents,
            max_queued_bytes=settings.max_queued_bytes,
            max_gather_seconds=settings.batch_gather_seconds,
        ),
        metrics,
    )
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=settings.max_concurrent_calls,
    )
    servicer = NerServicer(settings, batcher, model)
    add_ner_service(servicer, server, metrics.call)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    enable_reflection((SERVICE_NAME, health.SERVICE_NAME), server)
    tls = settings.tls
    try:
        credentials = tls.credentials() if tls else None
    except OSError as error:
        raise OSError(f"cannot use the TLS files: {error}") from error
    try:
        if credentials is None:
            port = server.add_insecure_port(settings.address)
        else:
            port = server.add_secure_port(settings.address, credentials)
    except RuntimeError as error:
        raise OSError(f"cannot listen on {settings.address}: {error}") from error
    if settings.metrics_port:
        metrics.serve(settings.metrics_port)
    await server.start()
    security = "plaintext" if tls is None else "mutual TLS" if tls.mutual else "TLS"
    log.info(
        "listening",
        extra={
            "port": port,
            "workers": settings.workers,
            "pipeline": settings.pipeline,
            "security": security,
        },
    )
    try:
        info = await pool.start()
    except BaseException:
        await server.stop(None)
        await pool.stop()
        raise
    model.set_result(info)
    metrics.model_loaded(info)
    metrics.watch(lambda: batcher.queued, pool.ready_workers)
    batcher.start(pool.worker, settings.workers, settings.batches_in_flight_per_worker)
    return RunningServer(server, port, pool, batcher, health_servicer, model, servicer)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    starting = asyncio.create_task(start_server(settings))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        log.info("shutting down before the workers were ready")
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        return
    running = starting.result()
    await stopping
    log.info("shutting down", extra={"grace_seconds": settings.grace_seconds})
    await running.stop(settings.grace_seconds)
    log.info("stopped")
