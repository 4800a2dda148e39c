"""Through the `ner-web` gateway, every client that speaks HTTP gets the answers a gRPC client
gets: curl with JSON, connect-python's own client in binary, `buf curl` over Connect and
gRPC-Web, and the TypeScript client over Connect's Connect and gRPC-Web transports from Node.
A real server and a real gateway; each answer is compared with the gRPC answer."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format
from ner_client.proto import ner_connect, ner_pb2, ner_pb2_grpc

from tests.conftest import ROOT, require_tool, unavailable
from tests.gateway_support import GatewayProcess, http, parsed, post_json
from tests.support import ServerProcess

TEXTS = [
    "Barack Obama visited Paris in 2015 with Angela Merkel.",
    "Ünïcode 👩‍🔬 test: Zoë Saldaña flew to São Paulo on 3 May.",
]
CALLS: list[tuple[str, dict[str, Any], type[Any]]] = [
    ("ExtractEntities", {"text": TEXTS[0]}, ner_pb2.ExtractEntitiesResponse),
    ("ExtractEntities", {"text": TEXTS[1], "labels": ["PERSON", "GPE"]}, ner_pb2.ExtractEntitiesResponse),
    (
        "BatchExtractEntities",
        {"documents": [{"id": "a", "text": TEXTS[0]}, {"id": "b", "text": TEXTS[1]}]},
        ner_pb2.BatchExtractEntitiesResponse,
    ),
    ("GetModelInfo", {}, ner_pb2.GetModelInfoResponse),
]
TYPESCRIPT = ROOT / "clients" / "typescript"
IDS = ["extract", "extract-labels", "batch", "model-info"]


@pytest.fixture(scope="module", params=["http1", "h2c"])
def gateway(server: ServerProcess, request: pytest.FixtureRequest) -> Iterator[GatewayProcess]:
    """The gateway on each of its servers: uvicorn (HTTP/1.1) and hypercorn (`--h2c`)."""
    process = GatewayProcess(server.address, *(["--h2c"] if request.param == "h2c" else []))
    yield process
    assert process.stop() == 0


def grpc_answer(stub: ner_pb2_grpc.NerServiceStub, method: str, request: dict[str, Any]) -> Any:
    return getattr(stub, method)(json_format.ParseDict(request, _request_type(method)()), timeout=60)


def _request_type(method: str) -> type[Any]:
    return getattr(ner_pb2, f"{method}Request")


def lower_camel(method: str) -> str:
    return method[0].lower() + method[1:]


@pytest.mark.parametrize(("method", "request_json", "response_type"), CALLS, ids=IDS)
def test_curl_with_json_gets_the_grpc_answer(gateway, stub, method, request_json, response_type) -> None:
    completed = subprocess.run(
        [
            require_tool("curl"),
            "--silent",
            "--show-error",
            "--fail-with-body",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            json.dumps(request_json),
            f"{gateway.url}/ner.v1.NerService/{method}",
        ],
        capture_output=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert parsed(json.loads(completed.stdout), response_type) == grpc_answer(stub, method, request_json)


def test_json_names_are_lower_camel_case_and_zero_offsets_are_left_out(gateway) -> None:
    answer = post_json(gateway, "ExtractEntities", {"text": "Paris is in France."})
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    first, second = answer.json()["entities"]
    assert first == {
        "text": "Paris",
        "label": "GPE",
        "endChar": 5,
        "endByte": 5,
        "endToken": 1,
        "endUtf16": 5,
    }
    assert second["startUtf16"] == 12 and second["endUtf16"] == 18


@pytest.mark.parametrize(("method", "request_json", "response_type"), CALLS, ids=IDS)
@pytest.mark.parametrize("protocol", ["connect", "grpcweb"])
def test_buf_curl_gets_the_grpc_answer(gateway, stub, protocol, method, request_json, response_type) -> None:
    completed = subprocess.run(
        [
            require_tool("buf"),
            "curl",
            "--schema",
            "protos",
            "--protocol",
            protocol,
            "--data",
            json.dumps(request_json),
            f"{gateway.url}/ner.v1.NerService/{method}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert parsed(json.loads(completed.stdout), response_type) == grpc_answer(stub, method, request_json)


@pytest.mark.parametrize(("method", "request_json", "response_type"), CALLS, ids=IDS)
@pytest.mark.parametrize(
    ("protocol", "proto_json"), [("CONNECT", False), ("CONNECT", True), ("GRPC_WEB", False)]
)
def test_connect_python_client_gets_the_grpc_answer(
    gateway, stub, protocol, proto_json, method, request_json, response_type
) -> None:
    from connectrpc.protocol import ProtocolType

    with ner_connect.NerServiceClientSync(
        gateway.url, protocol=ProtocolType[protocol], proto_json=proto_json
    ) as client:
        call = getattr(client, _snake(method))
        answer = call(json_format.ParseDict(request_json, _request_type(method)()))
    assert answer == grpc_answer(stub, method, request_json)


def _snake(method: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in method).lstrip("_")


@pytest.fixture(scope="module")
def node() -> str:
    """node, with the TypeScript client (clients/typescript/src/gateway.ts) compiled into dist."""
    node = require_tool("node")
    if not (TYPESCRIPT / "node_modules" / ".package-lock.json").exists():
        unavailable("the TypeScript client's packages are not installed (make setup)")
    subprocess.run(
        [node, "node_modules/typescript/bin/tsc", "-p", "."], cwd=TYPESCRIPT, check=True, timeout=300
    )
    return node


def typescript_call(node: str, gateway: GatewayProcess, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [node, "dist/src/gateway.js", gateway.url, *args],
        cwd=TYPESCRIPT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    answer: dict[str, Any] = json.loads(completed.stdout)
    return answer


@pytest.mark.parametrize(("method", "request_json", "response_type"), CALLS, ids=IDS)
@pytest.mark.parametrize(
    ("protocol", "format"), [("connect", "json"), ("connect", "binary"), ("grpcweb", "binary")]
)
def test_typescript_client_gets_the_grpc_answer(
    gateway, stub, node, protocol, format, method, request_json, response_type
) -> None:
    answer = typescript_call(node, gateway, protocol, format, lower_camel(method), json.dumps(request_json))
    assert parsed(answer["response"], response_type) == grpc_answer(stub, method, request_json)


def test_healthz_reports_the_backend_serving(gateway) -> None:
    answer = http(f"{gateway.url}/healthz")
    assert answer.status == 200
    assert answer.json()["status"] == "SERVING"
