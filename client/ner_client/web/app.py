"""The gateway's one ASGI application: what each path is served by.

    /ner.v1.NerService/<Method>  connect-python's application (Connect, gRPC-Web) -> Forwarder
    /healthz                     the backend's health (grpc.health.v1)
    /  and the rest              the page's static files, with a Content-Security-Policy

CORS wraps all of it when origins are allowed, and is left out when none are.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ner_client.proto.ner_connect import NerServiceASGIApplication
from ner_client.web import codecs
from ner_client.web.forward import FORWARDED_HEADERS, HTTP_VERSION, Forwarder
from ner_client.web.health import HealthEndpoint
from ner_client.web.limits import limited_receive

STATIC = Path(__file__).resolve().parent / "static"
RPC_PREFIX = "/ner.v1.NerService/"

#: The page may run and style only with its own files, and call only its own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]

# What Connect and gRPC-Web clients send and must be able to read across origins.
CORS_REQUEST_HEADERS = [
    "Content-Type",
    "Connect-Protocol-Version",
    "Connect-Timeout-Ms",
    "Connect-Accept-Encoding",
    "Connect-Content-Encoding",
    "Grpc-Timeout",
    "Grpc-Accept-Encoding",
    "X-Grpc-Web",
    "X-User-Agent",
    *FORWARDED_HEADERS,
]
CORS_RESPONSE_HEADERS = ["Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Content-Encoding"]


class Gateway:
    """Routes a request by its path; answers lifespan events (nothing to start or stop here)."""

    def __init__(
        self, forwarder: Forwarder, health: HealthEndpoint, *, max_body_bytes: int, static_dir: Path = STATIC
    ) -> None:
        codecs.install()
        self._rpc = NerServiceASGIApplication(forwarder, read_max_bytes=max_body_bytes)
        self._health = health
        self._static: ASGIApp = (
            # StaticFiles raises its 404 as an exception, which this middleware answers.
            ExceptionMiddleware(StaticFiles(directory=static_dir, html=True))
            if static_dir.is_dir()
            else PlainTextResponse("This gateway has no page installed.", status_code=404)
        )
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope["path"]
        if path.startswith(RPC_PREFIX):
            HTTP_VERSION.set(scope.get("http_version", "1.1"))
            await self._rpc(scope, limited_receive(scope, receive, self._max_body_bytes), send)
        elif path == "/healthz":
            await self._health(scope, receive, send)
        else:
            await self._static(scope, receive, _with_page_headers(send))


def build_app(
    forwarder: Forwarder,
    health: HealthEndpoint,
    *,
    max_body_bytes: int,
    allowed_origins: tuple[str, ...] = (),
    static_dir: Path = STATIC,
) -> Any:
    gateway = Gateway(forwarder, health, max_body_bytes=max_body_bytes, static_dir=static_dir)
    if not allowed_origins:
        return gateway
    return CORSMiddleware(
        gateway,
        allow_origins=list(allowed_origins),
        allow_methods=["GET", "POST"],
        allow_headers=CORS_REQUEST_HEADERS,
        expose_headers=CORS_RESPONSE_HEADERS,
        max_age=7200,
    )


def _with_page_headers(send: Send) -> Send:
    async def send_with_headers(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *PAGE_HEADERS]}
        await send(message)

    return send_with_headers


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
