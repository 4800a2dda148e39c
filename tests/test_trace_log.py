"""Log lines written while a call is handled carry the call's trace, as Cloud Logging reads it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from ner_client.proto import ner_pb2, ner_pb2_grpc
from ner_server.front.tracing import TRACE_FIELD, trace_id

from tests.support import ServerProcess

PROJECT = "ner-trace-test"
CLOUD_TRACE_ID = "105445aa7843bc8bf206b12000100000"
W3C_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(scope="module")
def traced_server() -> Iterator[ServerProcess]:
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": PROJECT}
    process = ServerProcess(["--workers", "1", "--log-level", "DEBUG"], env=env)
    process.wait_serving()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def traced_stub(traced_server: ServerProcess) -> Iterator[ner_pb2_grpc.NerServiceStub]:
    with grpc.insecure_channel(traced_server.address) as channel:
        yield ner_pb2_grpc.NerServiceStub(channel)


def completed_call(server: ServerProcess, method: str, where: dict[str, Any]) -> dict[str, Any]:
    """The `call completed` line for `method` whose fields include `where` (waits up to 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in list(server.log):
            if (
                entry.get("message") == "call completed"
                and entry.get("method") == f"/ner.v1.NerService/{method}"
                and where.items() <= entry.items()
            ):
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no completed {method} call with {where} in the log:\n" + "\n".join(server.raw_log))


def test_unary_call_with_cloud_trace_context_logs_its_trace(
    traced_server: ServerProcess, traced_stub: ner_pb2_grpc.NerServiceStub
) -> None:
    request = ner_pb2.ExtractEntitiesRequest(text="Ada Lovelace was born in London.")
    traced_stub.ExtractEntities(
        request, metadata=[("x-cloud-trace-context", f"{CLOUD_TRACE_ID}/12345;o=1")], timeout=30
    )
    trace = f"projects/{PROJECT}/traces/{CLOUD_TRACE_ID}"
    entry = completed_call(traced_server, "ExtractEntities", {TRACE_FIELD: trace})
    assert entry["severity"] == "DEBUG"
    assert entry["code"] == "OK"
    assert entry["duration_ms"] > 0


def test_stream_with_traceparent_logs_its_trace(
    traced_server: ServerProcess, traced_stub: ner_pb2_grpc.NerServiceStub
) -> None:
    requests = iter(
        ner_pb2.StreamExtractEntitiesRequest(document=ner_pb2.Document(id=str(n), text="Paris is in France."))
        for n in range(3)
    )
    metadata = [("traceparent", f"00-{W3C_TRACE_ID}-00f067aa0ba902b7-01")]
    responses = list(traced_stub.StreamExtractEntities(requests, metadata=metadata, timeout=30))
    assert [response.result.id for response in responses] == ["0", "1", "2"]
    trace = f"projects/{PROJECT}/traces/{W3C_TRACE_ID}"
    assert completed_call(traced_server, "StreamExtractEntities", {TRACE_FIELD: trace})["code"] == "OK"


def test_failed_call_logs_its_status_code_with_the_trace(
    traced_server: ServerProcess, traced_stub: ner_pb2_grpc.NerServiceStub
) -> None:
    failing_trace = "0af7651916cd43dd8448eb211c80319c"
    request = ner_pb2.ExtractEntitiesRequest(text="Ada Lovelace", labels=["NOT_A_LABEL"])
    with pytest.raises(grpc.RpcError) as raised:
        traced_stub.ExtractEntities(
            request, metadata=[("x-cloud-trace-context", f"{failing_trace}/1;o=1")], timeout=30
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    trace = f"projects/{PROJECT}/traces/{failing_trace}"
    assert (
        completed_call(traced_server, "ExtractEntities", {TRACE_FIELD: trace})["code"] == "INVALID_ARGUMENT"
    )


def test_call_without_trace_headers_logs_no_trace_field(
    traced_server: ServerProcess, traced_stub: ner_pb2_grpc.NerServiceStub
) -> None:
    traced_stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30)
    entry = completed_call(traced_server, "GetModelInfo", {"code": "OK"})
    assert TRACE_FIELD not in entry
    assert all(
        TRACE_FIELD not in line for line in traced_server.log if line.get("message") != "call completed"
    )


def test_without_a_project_no_trace_field_is_written() -> None:
    env = {key: value for key, value in os.environ.items() if key != "GOOGLE_CLOUD_PROJECT"}
    server = ServerProcess(["--workers", "1", "--log-level", "DEBUG"], env=env)
    try:
        server.wait_serving()
        with grpc.insecure_channel(server.address) as channel:
            ner_pb2_grpc.NerServiceStub(channel).GetModelInfo(
                ner_pb2.GetModelInfoRequest(),
                metadata=[("x-cloud-trace-context", f"{CLOUD_TRACE_ID}/1;o=1")],
                timeout=30,
            )
        assert TRACE_FIELD not in completed_call(server, "GetModelInfo", {"code": "OK"})
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ([("x-cloud-trace-context", f"{CLOUD_TRACE_ID}/12345;o=1")], CLOUD_TRACE_ID),
        ([("x-cloud-trace-context", CLOUD_TRACE_ID.upper())], CLOUD_TRACE_ID),
        ([("traceparent", f"00-{W3C_TRACE_ID}-00f067aa0ba902b7-01")], W3C_TRACE_ID),
        (
            [
                ("traceparent", f"00-{W3C_TRACE_ID}-00f067aa0ba902b7-01"),
                ("x-cloud-trace-context", CLOUD_TRACE_ID),
            ],
            CLOUD_TRACE_ID,
        ),
        ([("traceparent", f"00-{'0' * 32}-00f067aa0ba902b7-01")], None),
        ([("x-cloud-trace-context", "not-a-trace")], None),
        ([("traceparent", f"00-{W3C_TRACE_ID}")], None),
        ([], None),
    ],
)
def test_trace_id_reads_cloud_trace_context_before_traceparent(
    metadata: list[tuple[str, str]], expected: str | None
) -> None:
    assert trace_id(metadata) == expected
