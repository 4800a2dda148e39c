"""`/healthz`: the backend's health, as grpc.health.v1 reports it for ner.v1.NerService.

200 with `{"status": "SERVING"}` while the service serves; 503 with its status, or with the
reason it could not be asked, otherwise.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

SERVICE = "ner.v1.NerService"
CHECK_TIMEOUT = 5.0


class HealthEndpoint:
    def __init__(self, channel: grpc.aio.Channel, target: str) -> None:
        self._stub = health_pb2_grpc.HealthStub(channel)
        self._target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            answer = await self._stub.Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=CHECK_TIMEOUT
            )
        except grpc.aio.AioRpcError as error:
            body = {
                "status": "UNREACHABLE",
                "target": self._target,
                "error": f"{error.code().name}: {error.details()}",
            }
            response = JSONResponse(body, status_code=503)
        else:
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            response = JSONResponse(
                {"status": status, "target": self._target}, status_code=200 if status == "SERVING" else 503
            )
        response.headers["cache-control"] = "no-store"
        await response(scope, receive, send)
