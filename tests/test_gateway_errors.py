"""The gateway's errors: the service's own (code, message and details unchanged, in each
protocol's form), a body it cannot decode (INVALID_ARGUMENT), a wrong content type, an unknown
method, its own limits (RESOURCE_EXHAUSTED), deadlines passed through, a stream it cannot carry
over HTTP/1.1, and a backend that is gone (UNAVAILABLE naming it). Work is held still by
stopping the worker, never by timing."""

from __future__ import annotations

import json
import subprocess
import threading
from base64 import b64decode
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from google.protobuf import json_format
from google.rpc import status_pb2
from ner_client.proto import ner_connect, ner_pb2, ner_pb2_grpc

from tests.conftest import ROOT, require_tool
from tests.gateway_support import Answer, GatewayProcess, http, post_json
from tests.scrape import free_port
from tests.support import ServerProcess, stopped, unread_bytes, wait_until

LIMIT = 2000


@pytest.fixture(scope="module")
def gateway(server: ServerProcess) -> Iterator[GatewayProcess]:
    process = GatewayProcess(server.address, "--max-body-bytes", str(LIMIT))
    yield process
    assert process.stop() == 0


def grpc_error(stub: ner_pb2_grpc.NerServiceStub, request: ner_pb2.ExtractEntitiesRequest) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        stub.ExtractEntities(request, timeout=30)
    return raised.value


def grpc_details(error: grpc.RpcError) -> list[Any]:
    """The `google.rpc.Status` details (packed `Any` messages) a gRPC error carried."""
    for key, value in error.trailing_metadata():
        if key == "grpc-status-details-bin":
            return list(status_pb2.Status.FromString(value).details)
    return []


@pytest.mark.parametrize(
    "request_json",
    [{"text": ""}, {"text": "Oslo.", "labels": ["NO_SUCH_LABEL"]}],
    ids=["empty-text", "unknown-label"],
)
def test_service_errors_keep_code_message_and_details_in_connect_json(gateway, stub, request_json) -> None:
    expected = grpc_error(stub, ner_pb2.ExtractEntitiesRequest(**request_json))
    answer = post_json(gateway, "ExtractEntities", request_json)
    assert answer.status == 400
    error = answer.json()
    assert error["code"] == "invalid_argument" == expected.code().name.lower()
    assert error["message"] == expected.details()
    sent = [b64decode(detail["value"] + "==") for detail in error["details"]]
    assert [detail["type"] for detail in error["details"]] == ["google.rpc.BadRequest"]
    assert sent == [detail.value for detail in grpc_details(expected)]


@pytest.mark.parametrize("protocol", ["CONNECT", "GRPC_WEB"])
def test_service_errors_keep_details_in_connect_binary_and_grpc_web(gateway, stub, protocol) -> None:
    expected = grpc_error(stub, ner_pb2.ExtractEntitiesRequest(text=""))
    with ner_connect.NerServiceClientSync(gateway.url, protocol=ProtocolType[protocol]) as client:
        with pytest.raises(ConnectError) as raised:
            client.extract_entities(ner_pb2.ExtractEntitiesRequest(text=""))
    assert raised.value.code is Code.INVALID_ARGUMENT
    assert raised.value.message == expected.details()
    assert list(raised.value.details) == grpc_details(expected)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"text": "Oslo', "ner.v1.ExtractEntitiesRequest in json"),
        ("application/json", b'{"text": 5}', "ner.v1.ExtractEntitiesRequest in json"),
        ("application/json", b'{"txet": "Oslo."}', "txet"),
        ("application/json", b"\xff\xfe not utf-8", "ner.v1.ExtractEntitiesRequest in json"),
        ("application/proto", b"\xff\xff\xff\xff", "ner.v1.ExtractEntitiesRequest in proto"),
    ],
    ids=["truncated", "wrong-type", "unknown-field", "not-utf8", "bad-binary"],
)
def test_an_undecodable_body_is_invalid_argument(gateway, content_type, body, expected) -> None:
    answer = http(f"{gateway.url}/ner.v1.NerService/ExtractEntities", body, {"Content-Type": content_type})
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["code"] == "invalid_argument"
    assert expected in answer.json()["message"]


def test_a_wrong_content_type_is_unsupported_media_type(gateway) -> None:
    answer = http(
        f"{gateway.url}/ner.v1.NerService/ExtractEntities", b"text=Oslo", {"Content-Type": "text/plain"}
    )
    assert answer.status == 415
    assert answer.headers["Accept-Post"] == "application/json, application/proto"


@pytest.mark.parametrize("content_type", ["application/json", "application/grpc-web+proto"])
def test_an_unknown_method_is_not_found(gateway, content_type) -> None:
    answer = http(f"{gateway.url}/ner.v1.NerService/Translate", b"{}", {"Content-Type": content_type})
    assert answer.status == 404  # which Connect and gRPC-Web clients read as UNIMPLEMENTED


def test_a_body_over_the_limit_is_resource_exhausted(gateway) -> None:
    answer = post_json(gateway, "ExtractEntities", {"text": "x" * LIMIT})
    assert answer.status == 429
    assert answer.json()["code"] == "resource_exhausted"
    assert f"limit of {LIMIT} bytes" in answer.json()["message"]


def test_a_chunked_body_over_the_limit_is_resource_exhausted(gateway) -> None:
    completed = subprocess.run(
        [
            require_tool("curl"),
            "--silent",
            "-H",
            "Content-Type: application/json",
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            "--write-out",
            "\n%{http_code}",
            f"{gateway.url}/ner.v1.NerService/ExtractEntities",
        ],
        input=json.dumps({"text": "y" * (4 * LIMIT)}).encode(),
        capture_output=True,
        timeout=60,
    )
    body, _, status = completed.stdout.rpartition(b"\n")
    assert status == b"429"
    assert json.loads(body)["code"] == "resource_exhausted"


@pytest.mark.parametrize("server_kind", ["http1", "h2c"])
def test_a_stream_over_http1_is_unimplemented_and_points_to_batch(gateway, h2c_gateway, server_kind) -> None:
    url = gateway.url if server_kind == "http1" else h2c_gateway.url
    with ner_connect.NerServiceClientSync(url) as client:
        requests = iter(
            [ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id="a", text="Oslo."))]
        )
        with pytest.raises(ConnectError) as raised:
            list(client.stream_extract_entities(requests))
    assert raised.value.code is Code.UNIMPLEMENTED
    assert "BatchExtractEntities" in raised.value.message


@pytest.fixture(scope="module")
def h2c_gateway(server: ServerProcess) -> Iterator[GatewayProcess]:
    process = GatewayProcess(server.address, "--h2c")
    yield process
    assert process.stop() == 0


@pytest.mark.parametrize("protocol", ["connect", "grpcweb", "grpc"])
def test_a_stream_over_h2c_is_forwarded(h2c_gateway, stub, protocol) -> None:
    gateway = h2c_gateway
    texts = {"a": "Angela Merkel met Emmanuel Macron in Berlin.", "b": "Tokyo.", "c": "Nothing here."}
    data = "\n".join(json.dumps({"document": {"id": key, "text": text}}) for key, text in texts.items())
    completed = subprocess.run(
        [
            require_tool("buf"),
            "curl",
            "--schema",
            "protos",
            "--protocol",
            protocol,
            "--http2-prior-knowledge",
            "--data",
            data,
            f"{gateway.url}/ner.v1.NerService/StreamExtractEntities",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    decoder, answers, rest = json.JSONDecoder(), [], completed.stdout.strip()
    while rest:
        answer, end = decoder.raw_decode(rest)
        answers.append(answer)
        rest = rest[end:].strip()
    direct = stub.BatchExtractEntities(
        ner_pb2.BatchExtractEntitiesRequest(
            documents=[ner_pb2.Document(id=key, text=text) for key, text in texts.items()]
        ),
        timeout=60,
    )
    got = [json_format.ParseDict(a["result"], ner_pb2.DocumentEntities()) for a in answers]
    assert got == list(direct.results)


@pytest.fixture
def held_backend() -> Iterator[tuple[ServerProcess, int]]:
    """A server with one worker, which the test may stop."""
    server = ServerProcess(["--workers", "1"])
    try:
        server.wait_serving()
        [worker] = server.worker_pids()
        yield server, worker
    finally:
        server.stop()


def test_deadlines_pass_through_connect_and_grpc_web(held_backend) -> None:
    server, worker = held_backend
    gateway = GatewayProcess(server.address)
    try:
        with stopped([worker]):
            answer = post_json(gateway, "ExtractEntities", {"text": "Oslo."}, **{"Connect-Timeout-Ms": "300"})
            assert answer.status == 504
            assert answer.json()["code"] == "deadline_exceeded"
            with ner_connect.NerServiceClientSync(gateway.url, protocol=ProtocolType.GRPC_WEB) as client:
                with pytest.raises(ConnectError) as raised:
                    client.extract_entities(ner_pb2.ExtractEntitiesRequest(text="Oslo."), timeout_ms=300)
            assert raised.value.code is Code.DEADLINE_EXCEEDED
        assert post_json(gateway, "ExtractEntities", {"text": "Oslo."}).status == 200
    finally:
        assert gateway.stop() == 0


def test_calls_past_the_gateway_limit_are_resource_exhausted(held_backend) -> None:
    server, worker = held_backend
    gateway = GatewayProcess(server.address, "--max-calls", "1")
    answers: list[Answer] = []
    try:
        with stopped([worker]):
            first = threading.Thread(
                target=lambda: answers.append(post_json(gateway, "ExtractEntities", {"text": "Oslo."}))
            )
            first.start()
            wait_until(lambda: unread_bytes(worker) > 0, what="the first call handed to the stopped worker")
            refused = post_json(gateway, "ExtractEntities", {"text": "Oslo."})
            assert refused.status == 429
            assert refused.json()["code"] == "resource_exhausted"
            assert "--max-calls" in refused.json()["message"]
        first.join(60)
        assert [answer.status for answer in answers] == [200]
    finally:
        assert gateway.stop() == 0


def test_a_stopped_backend_is_unavailable_naming_it() -> None:
    server = ServerProcess(["--workers", "1"])
    server.wait_serving()
    gateway = GatewayProcess(server.address)
    try:
        assert post_json(gateway, "ExtractEntities", {"text": "Oslo."}).status == 200
        server.stop()
        answer = post_json(gateway, "ExtractEntities", {"text": "Oslo."})
        assert answer.status == 503
        assert answer.json()["code"] == "unavailable"
        assert f"the NER service at {server.address} cannot be reached" in answer.json()["message"]
        health = http(f"{gateway.url}/healthz")
        assert health.status == 503
        assert health.json()["status"] == "UNREACHABLE"
    finally:
        server.stop()
        assert gateway.stop() == 0


def test_a_backend_never_reached_is_unavailable_naming_it() -> None:
    target = f"127.0.0.1:{free_port()}"
    gateway = GatewayProcess(target)
    try:
        with ner_connect.NerServiceClientSync(gateway.url, protocol=ProtocolType.GRPC_WEB) as client:
            with pytest.raises(ConnectError) as raised:
                client.get_model_info(ner_pb2.GetModelInfoRequest())
        assert raised.value.code is Code.UNAVAILABLE
        assert f"the NER service at {target} cannot be reached" in raised.value.message
    finally:
        assert gateway.stop() == 0
