"""Run the gateway: open the channel to the service, bind the port, serve, and drain on SIGTERM
or SIGINT: the port stops accepting, calls in flight get `grace` seconds to finish, then the
channel closes and the process exits 0.

Two ASGI servers, one at a time: uvicorn with httptools (HTTP/1.1, the C parser: the cheaper per
call), or with `--h2c` hypercorn, which also speaks HTTP/2 over cleartext, so that
`StreamExtractEntities` and gRPC itself can pass through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import socket
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig

from ner_client._channel import open_channel
from ner_client.json_logs import configure_logging
from ner_client.web.app import build_app
from ner_client.web.forward import Forwarder
from ner_client.web.health import HealthEndpoint
from ner_client.web.settings import GatewaySettings

log = logging.getLogger("ner_client.web")
BACKLOG = 1024


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host.strip("[]"), port))
    # Listening before "listening" is logged: a client that reads the log may connect at once.
    sock.listen(BACKLOG)
    return sock


async def serve(settings: GatewaySettings) -> int:
    """Serve until SIGTERM or SIGINT; the exit status (2 when the port cannot be bound)."""
    configure_logging(settings.log_level)
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        log.error("could not start: cannot bind %s:%s: %s", settings.host, settings.port, error.strerror)
        return 2
    port = sock.getsockname()[1]
    channel = open_channel(
        settings.target,
        settings.tls or None,
        settings.id_token,
        asyncio=True,
        retries=False,
        tls_files=settings.tls_files,
    )
    forwarder = Forwarder(
        channel, settings.target, default_timeout=settings.default_timeout, max_calls=settings.max_calls
    )
    app = build_app(
        forwarder,
        HealthEndpoint(channel, settings.target),
        max_body_bytes=settings.max_body_bytes,
        allowed_origins=settings.allowed_origins,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _stopping(stop, signum))
    where = {"port": port, "host": settings.host, "target": settings.target}
    log.info("listening", extra={**where, "origins": settings.allowed_origins, "h2c": settings.h2c})
    try:
        if settings.h2c:
            await hypercorn_serve(app, _hypercorn_config(settings, sock), shutdown_trigger=stop.wait)
        else:
            await _serve_uvicorn(app, settings, sock, stop)
    finally:
        await channel.close()
    log.info("stopped", extra={"calls_in_flight": forwarder.in_flight})
    return 0


def _hypercorn_config(settings: GatewaySettings, sock: socket.socket) -> HypercornConfig:
    config = HypercornConfig()
    config.bind = [f"fd://{sock.detach()}"]
    config.backlog = BACKLOG
    config.graceful_timeout = settings.grace
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    config.include_server_header = False
    return config


class _Uvicorn(uvicorn.Server):
    """uvicorn's server without its own signal handling: `serve` stops it on the same signals,
    and the process exits 0 instead of uvicorn raising the signal again once it has drained."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_uvicorn(
    app: Any, settings: GatewaySettings, sock: socket.socket, stop: asyncio.Event
) -> None:
    config = uvicorn.Config(
        app,
        http="httptools",
        loop="none",
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=math.ceil(settings.grace),
        backlog=BACKLOG,
    )
    server = _Uvicorn(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    await serving
    stopped.cancel()


def _stopping(stop: asyncio.Event, signum: int) -> Callable[[], None]:
    def note() -> None:
        log.info("draining", extra={"signal": signal.Signals(signum).name})
        stop.set()

    return note
