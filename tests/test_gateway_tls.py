"""The gateway connects as `ner-tag` does: to a server that serves mutual TLS, with the CA and
client certificate files given by flag; without the client certificate the service cannot be
reached, and the gateway says so, naming it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from tests.certs import CertFiles, write_set
from tests.gateway_support import GatewayProcess, post_json
from tests.support import ServerProcess


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory) -> Iterator[tuple[ServerProcess, CertFiles]]:
    files = write_set(tmp_path_factory.mktemp("certs"))
    credentials = grpc.ssl_channel_credentials(
        files.ca.read_bytes(), files.client_key.read_bytes(), files.client_cert.read_bytes()
    )
    flags = ["--tls-cert", str(files.server_cert), "--tls-key", str(files.server_key)]
    server = ServerProcess(
        ["--workers", "1", *flags, "--tls-client-ca", str(files.ca)], credentials=credentials
    )
    server.wait_serving(120)
    yield server, files
    server.stop()


def test_the_gateway_calls_a_mutual_tls_server_with_the_files_given(mtls_server) -> None:
    server, files = mtls_server
    gateway = GatewayProcess(
        server.address,
        "--ca-file",
        str(files.ca),
        "--cert-file",
        str(files.client_cert),
        "--key-file",
        str(files.client_key),
    )
    try:
        answer = post_json(gateway, "ExtractEntities", {"text": "Ada Lovelace was born in London."})
        assert answer.status == 200
        assert [entity["text"] for entity in answer.json()["entities"]] == ["Ada Lovelace", "London"]
    finally:
        assert gateway.stop() == 0


def test_without_its_client_certificate_the_service_is_unavailable_naming_it(mtls_server) -> None:
    server, files = mtls_server
    gateway = GatewayProcess(server.address, "--ca-file", str(files.ca))
    try:
        answer = post_json(gateway, "ExtractEntities", {"text": "Oslo."})
        assert answer.status == 503
        assert answer.json()["code"] == "unavailable"
        assert f"the NER service at {server.address} cannot be reached" in answer.json()["message"]
    finally:
        assert gateway.stop() == 0
