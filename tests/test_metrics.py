"""Prometheus metrics at /metrics: exact counts after known traffic, read with a real HTTP client."""

from __future__ import annotations

import os
import signal
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2
from ner_client.proto import ner_pb2, ner_pb2_grpc

from tests.scrape import free_port, scrape, value
from tests.support import ServerProcess

EXTRACT = "/ner.v1.NerService/ExtractEntities"
BATCH = "/ner.v1.NerService/BatchExtractEntities"
STREAM = "/ner.v1.NerService/StreamExtractEntities"


def test_metrics_count_calls_documents_entities_batches_and_restarts_exactly() -> None:
    metrics_port = free_port()
    server = ServerProcess(["--workers", "2", "--metrics-port", str(metrics_port)])
    try:
        server.wait_serving()
        with grpc.insecure_channel(server.address) as channel:
            stub = ner_pb2_grpc.NerServiceStub(channel)
            entities = 0
            for text in ("Sofia Kovalenko flew from Kyiv to Lisbon.", "Nothing to see here."):
                entities += len(stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text)).entities)
            with pytest.raises(grpc.RpcError) as raised:
                stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=""), timeout=30)
            assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            documents = [
                ner_pb2.Document(id=str(n), text=f"Call Priya in Chennai on day {n}.") for n in range(4)
            ]
            batch = stub.BatchExtractEntities(ner_pb2.BatchExtractEntitiesRequest(documents=documents))
            entities += sum(len(result.entities) for result in batch.results)
            requests = [ner_pb2.StreamExtractEntitiesRequest(document=d) for d in documents[:3]]
            streamed = list(stub.StreamExtractEntities(iter(requests), timeout=30))
            entities += sum(len(response.result.entities) for response in streamed)
            stub.GetModelInfo(ner_pb2.GetModelInfoRequest(), timeout=30)
        assert entities > 8

        worker = server.worker_pids()[0]
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while worker in server.worker_pids() or len(server.worker_pids()) < 2:
            assert time.monotonic() < deadline, "the worker was not replaced"
            time.sleep(0.05)
        while value(scrape(metrics_port), "ner_workers_ready") < 2:
            assert time.monotonic() < deadline, "the replacement never became ready"
            time.sleep(0.05)
        assert server.health() == health_pb2.HealthCheckResponse.SERVING

        samples = scrape(metrics_port)
        assert value(samples, "ner_calls_total", method=EXTRACT, code="OK") == 2
        assert value(samples, "ner_calls_total", method=EXTRACT, code="INVALID_ARGUMENT") == 1
        assert value(samples, "ner_calls_total", method=BATCH, code="OK") == 1
        assert value(samples, "ner_calls_total", method=STREAM, code="OK") == 1
        assert value(samples, "ner_calls_total", method="/ner.v1.NerService/GetModelInfo", code="OK") == 1
        assert value(samples, "ner_call_seconds_count", method=EXTRACT) == 3
        assert value(samples, "ner_shed_calls_total") == 0
        # 3 unary calls (the empty text is refused by a worker) + 4 batch + 3 stream documents.
        assert value(samples, "ner_documents_total") == 10
        assert value(samples, "ner_entities_total") == entities
        assert value(samples, "ner_batch_documents_sum") == 10
        assert value(samples, "ner_queue_wait_seconds_count") == 10
        assert 1 <= value(samples, "ner_batch_documents_count") <= 10
        assert value(samples, "ner_queue_documents") == 0
        assert value(samples, "ner_restarts_total", process="worker") == 1
        assert value(samples, "ner_restarts_total", process="fork_server") == 0
        info = [labels for (name, labels) in samples if name == "ner_model_info"]
        assert info and dict(info[0])["model"] == "en_core_web_md" and dict(info[0])["pipeline"] == "ner"
    finally:
        assert server.stop() == 0


def test_metrics_are_off_unless_a_port_is_set(server: ServerProcess) -> None:
    assert "metrics" not in [entry.get("message") for entry in server.log]
