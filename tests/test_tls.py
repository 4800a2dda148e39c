"""TLS and mutual TLS: what the server serves and refuses, the Python client and ner-tag over TLS,
and certificates rotated on disk without a restart. The CAs and certificates are made here."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ner_client import AsyncNerClient, NerClient

from tests.certs import Authority, CertFiles, write_set
from tests.conftest import require_tool
from tests.support import ServerProcess, wait_until
from tests.tag_support import PipeLines, run_tag, start_tag

TEXT = "Ines Duarte flew from Lisbon to Oslo to meet engineers from Equinor in May 2024."
#: Every test channel gets its own subchannels, so each attempt below is a new connection.
FRESH = [("grpc.use_local_subchannel_pool", 1)]
SERVER = [sys.executable, "-m", "ner_server", "--port", "0"]


def channel_credentials(files: CertFiles, *, client_cert: bool = True) -> grpc.ChannelCredentials:
    if not client_cert:
        return grpc.ssl_channel_credentials(files.ca.read_bytes())
    return grpc.ssl_channel_credentials(
        files.ca.read_bytes(), files.client_key.read_bytes(), files.client_cert.read_bytes()
    )


def health_code(address: str, credentials: grpc.ChannelCredentials | None) -> grpc.StatusCode:
    """The status of a Health.Check over a new connection: OK, or why it failed."""
    if credentials is None:
        opened = grpc.insecure_channel(address, options=FRESH)
    else:
        opened = grpc.secure_channel(address, credentials, options=FRESH)
    with opened as channel:
        try:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=30)
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def tls_flags(files: CertFiles, *, mutual: bool) -> list[str]:
    flags = ["--tls-cert", str(files.server_cert), "--tls-key", str(files.server_key)]
    return [*flags, "--tls-client-ca", str(files.ca)] if mutual else flags


@pytest.fixture(scope="module")
def authorities(tmp_path_factory: pytest.TempPathFactory) -> tuple[CertFiles, CertFiles]:
    """Files of the CA the servers use, and of another CA nobody trusts."""
    root = tmp_path_factory.mktemp("tls")
    return write_set(root / "trusted", Authority("trusted CA")), write_set(
        root / "other", Authority("other CA")
    )


@pytest.fixture(scope="module")
def tls_server(authorities: tuple[CertFiles, CertFiles]) -> Iterator[ServerProcess]:
    files, _ = authorities
    server = ServerProcess(
        ["--workers", "1", *tls_flags(files, mutual=False)],
        credentials=channel_credentials(files, client_cert=False),
    )
    server.wait_serving(120)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mtls_server(authorities: tuple[CertFiles, CertFiles]) -> Iterator[ServerProcess]:
    files, _ = authorities
    server = ServerProcess(
        ["--workers", "1", *tls_flags(files, mutual=True)], credentials=channel_credentials(files)
    )
    server.wait_serving(120)
    yield server
    server.stop()


def test_tls_server_serves_a_client_that_trusts_its_ca(tls_server, authorities) -> None:
    files, _ = authorities
    with NerClient(tls_server.address, ca_file=files.ca) as client:
        assert {"Lisbon", "Oslo"} <= {entity.text for entity in client.extract(TEXT)}
    assert (
        health_code(tls_server.address, channel_credentials(files, client_cert=False)) == grpc.StatusCode.OK
    )
    assert next(e for e in tls_server.log if e.get("message") == "listening")["security"] == "TLS"


def test_tls_server_refuses_a_plaintext_client(tls_server) -> None:
    assert health_code(tls_server.address, None) == grpc.StatusCode.UNAVAILABLE


def test_client_refuses_a_server_certificate_from_another_ca(tls_server, authorities) -> None:
    _, other = authorities
    assert (
        health_code(tls_server.address, channel_credentials(other, client_cert=False))
        == grpc.StatusCode.UNAVAILABLE
    )


def test_mtls_server_serves_a_client_with_a_certificate_from_its_ca(mtls_server, authorities) -> None:
    files, _ = authorities
    with NerClient(
        mtls_server.address, ca_file=files.ca, cert_file=files.client_cert, key_file=files.client_key
    ) as client:
        assert {"Lisbon", "Oslo"} <= {entity.text for entity in client.extract(TEXT)}
    # Health answers on the same port, over the same mutual TLS.
    assert mtls_server.health() == health_pb2.HealthCheckResponse.SERVING
    assert next(e for e in mtls_server.log if e.get("message") == "listening")["security"] == "mutual TLS"


def test_mtls_server_refuses_a_client_without_a_certificate(mtls_server, authorities) -> None:
    files, _ = authorities
    assert (
        health_code(mtls_server.address, channel_credentials(files, client_cert=False))
        == grpc.StatusCode.UNAVAILABLE
    )
    assert health_code(mtls_server.address, None) == grpc.StatusCode.UNAVAILABLE


def test_mtls_server_refuses_a_client_certificate_from_another_ca(mtls_server, authorities) -> None:
    files, other = authorities
    # Trusts the server's CA, but presents a certificate the other CA signed.
    credentials = grpc.ssl_channel_credentials(
        files.ca.read_bytes(), other.client_key.read_bytes(), other.client_cert.read_bytes()
    )
    assert health_code(mtls_server.address, credentials) == grpc.StatusCode.UNAVAILABLE


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool(command[0]), *command[1:]], capture_output=True, text=True, timeout=120
    )


def test_grpcurl_and_ghz_call_over_mutual_tls(mtls_server, authorities) -> None:
    files, _ = authorities
    ca, cert, key = str(files.ca), str(files.client_cert), str(files.client_key)
    address, request = mtls_server.address, json.dumps({"text": TEXT})
    listed = run_tool("grpcurl", "-cacert", ca, "-cert", cert, "-key", key, address, "list")
    assert listed.returncode == 0, listed.stderr
    assert {"ner.v1.NerService", "grpc.health.v1.Health"} <= set(listed.stdout.split())
    method = "ner.v1.NerService/ExtractEntities"
    called = run_tool("grpcurl", "-cacert", ca, "-cert", cert, "-key", key, "-d", request, address, method)
    assert called.returncode == 0, called.stderr
    assert "Lisbon" in {entity["text"] for entity in json.loads(called.stdout)["entities"]}
    assert run_tool("grpcurl", "-cacert", ca, address, "list").returncode != 0
    tls = ("--cacert", ca, "--cert", cert, "--key", key)
    load = (
        "--call",
        "ner.v1.NerService.ExtractEntities",
        "-d",
        request,
        "--concurrency",
        "2",
        "--total",
        "20",
    )
    report = run_tool("ghz", "--format", "json", *tls, *load, address)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["statusCodeDistribution"] == {"OK": 20}


def test_ner_tag_tags_over_mutual_tls(mtls_server, authorities, tmp_path: Path) -> None:
    files, _ = authorities
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    tls = [
        "--ca-file",
        str(files.ca),
        "--cert-file",
        str(files.client_cert),
        "--key-file",
        str(files.client_key),
    ]
    completed = run_tag(
        [str(source), "-t", mtls_server.address, "-o", str(output), *tls, "--retry-timeout", "30"]
    )
    assert completed.returncode == 0, completed.stderr
    (row,) = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert {"Lisbon", "Oslo"} <= {entity["text"] for entity in row["entities"]}


def test_ner_tag_reports_a_missing_ca_file_as_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    missing = str(tmp_path / "missing.pem")
    completed = run_tag([str(source), "-t", "localhost:1", "-o", str(tmp_path / "out"), "--ca-file", missing])
    assert completed.returncode == 2
    assert "missing.pem" in completed.stderr


def test_server_refuses_to_start_with_a_key_that_does_not_match(authorities) -> None:
    files, other = authorities
    completed = subprocess.run(
        [*SERVER, "--workers", "1", "--tls-cert", str(files.server_cert), "--tls-key", str(other.server_key)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "cannot use the TLS files" in completed.stdout + completed.stderr


def test_tls_flags_must_go_together(authorities) -> None:
    files, _ = authorities
    for flags in (["--tls-cert", str(files.server_cert)], ["--tls-client-ca", str(files.ca)]):
        completed = subprocess.run(
            [sys.executable, "-m", "ner_server", "--port", "0", *flags],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert completed.returncode == 2
        [line] = (completed.stdout + completed.stderr).splitlines()
        error = json.loads(line)
        assert error["severity"] == "ERROR" and "--tls-" in error["message"]


def test_rotated_certificates_serve_new_connections_without_a_restart(tmp_path: Path) -> None:
    live = write_set(tmp_path / "live", Authority("first CA"))
    server = ServerProcess(["--workers", "1", *tls_flags(live, mutual=True)])
    try:
        first = channel_credentials(live)  # read now: the files change below
        assert health_code(server.address, first) == grpc.StatusCode.OK

        staged = write_set(tmp_path / "staged", Authority("second CA"))
        second = channel_credentials(staged)
        # Half a rotation: the new certificate beside the old key. The server keeps its files.
        live.server_cert.write_bytes(staged.server_cert.read_bytes())
        assert health_code(server.address, first) == grpc.StatusCode.OK
        assert health_code(server.address, second) == grpc.StatusCode.UNAVAILABLE

        for staged_file, live_file in ((staged.server_key, live.server_key), (staged.ca, live.ca)):
            staged_file.replace(live_file)
        outcomes = []
        for _ in range(20):  # each a new connection; the first after the rename should succeed
            outcomes.append(health_code(server.address, second))
            if outcomes[-1] == grpc.StatusCode.OK:
                break
        assert outcomes[-1] == grpc.StatusCode.OK, outcomes
        assert health_code(server.address, first) == grpc.StatusCode.UNAVAILABLE

        def messages() -> list[str]:
            return [str(entry.get("message")) for entry in list(server.log)]

        # The log is read by a thread of its own: wait until it has read what the server wrote.
        wait_until(lambda: "TLS files reloaded" in messages(), what="the reload logged")
        assert any(m.startswith("TLS files not reloaded") for m in messages())
        assert server.process.poll() is None
    finally:
        server.stop()


def test_blocking_tag_all_streams_over_mutual_tls_with_the_clients_own_files(
    mtls_server, authorities
) -> None:
    files, _ = authorities
    texts = [TEXT, "Kyoto is in Japan."] * 10
    with NerClient(
        mtls_server.address, ca_file=files.ca, cert_file=files.client_cert, key_file=files.client_key
    ) as client:
        results = list(client.tag_all(texts))
    assert [result.id for result in results] == [str(index) for index in range(len(texts))]
    assert {"Lisbon", "Oslo"} <= {entity.text for entity in results[0].entities}
    assert [entity.text for entity in results[1].entities] == ["Kyoto", "Japan"]


def test_ner_tag_says_at_once_that_the_tls_handshake_failed(tls_server, authorities, tmp_path: Path) -> None:
    _, other = authorities
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    output = str(tmp_path / "out.jsonl")
    args = [str(source), "-t", tls_server.address, "-o", output, "--ca-file", str(other.ca)]
    command = start_tag([*args, "--retry-timeout", "600"])
    notices = PipeLines(command.stderr)
    try:
        line = notices.wait_for("cannot reach")
        assert command.poll() is None  # told at the first attempt, not once the budget is spent
    finally:
        command.kill()
        command.wait()
        notices.text()  # the reader is at the pipe's end
        for pipe in (command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()
    cause = "the server's certificate is not signed by a CA this client trusts"
    assert line.startswith(f"ner-tag: cannot reach {tls_server.address}: {cause}"), line
    assert "Tls handshake failed" in line  # gRPC's own words follow


def test_ner_tag_without_a_client_certificate_hears_that_one_may_be_required(
    mtls_server, authorities, tmp_path: Path
) -> None:
    files, _ = authorities
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT}) + "\n", encoding="utf-8")
    output = str(tmp_path / "out.jsonl")
    command = start_tag([str(source), "-t", mtls_server.address, "-o", output, "--ca-file", str(files.ca)])
    notices = PipeLines(command.stderr)
    try:
        line = notices.wait_for("cannot reach")
        assert command.poll() is None  # told at the first attempt, while it keeps trying
    finally:
        command.kill()
        command.wait()
        notices.text()
        for pipe in (command.stdout, command.stderr):
            if pipe is not None:
                pipe.close()
    cause = "the server ended the TLS handshake: it may require a client certificate"
    assert line.startswith(f"ner-tag: cannot reach {mtls_server.address}: {cause}"), line


def failed_call(target: str, **tls: Any) -> grpc.RpcError:
    """The error a unary call, a stream and an asyncio call of the Python client each raise: all
    three alike (their code and details), so one is returned."""
    errors: list[grpc.RpcError] = []
    with NerClient(target, timeout=10, **tls) as client:
        for call in (client.model_info, lambda: list(client.stream([TEXT]))):
            with pytest.raises(grpc.RpcError) as raised:
                call()
            errors.append(raised.value)

    async def asynchronous() -> None:
        async with AsyncNerClient(target, timeout=10, **tls) as client:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await client.model_info()
            errors.append(raised.value)

    asyncio.run(asynchronous())
    assert {(error.code(), error.details().rsplit("likely cause: ", 1)[-1]) for error in errors} == {
        (errors[0].code(), errors[0].details().rsplit("likely cause: ", 1)[-1])
    }, [error.details() for error in errors]
    return errors[0]


def test_client_without_a_certificate_is_told_the_server_may_require_one(mtls_server, authorities) -> None:
    files, _ = authorities
    error = failed_call(mtls_server.address, ca_file=files.ca)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    expected = (
        "Socket closed; likely cause: the server ended the TLS handshake: it may require a client "
        "certificate (mutual TLS: cert_file and key_file, --cert-file and --key-file)"
    )
    assert expected in error.details()


def test_client_with_an_untrusted_certificate_is_told_the_server_may_not_trust_it(
    mtls_server, authorities
) -> None:
    files, other = authorities
    error = failed_call(
        mtls_server.address, ca_file=files.ca, cert_file=other.client_cert, key_file=other.client_key
    )
    assert (
        "likely cause: the server ended the TLS handshake: it may not trust this client's certificate"
        in error.details()
    )


def test_client_that_does_not_trust_the_servers_ca_is_told_so(tls_server, authorities) -> None:
    _, other = authorities
    error = failed_call(tls_server.address, ca_file=other.ca)
    assert "CERTIFICATE_VERIFY_FAILED" in error.details()
    assert (
        "likely cause: the server's certificate is not signed by a CA this client trusts" in error.details()
    )


def test_plaintext_client_of_a_tls_server_is_told_it_may_require_tls(tls_server) -> None:
    error = failed_call(tls_server.address)
    assert "likely cause: the server may require TLS (give tls=True or ca_file" in error.details()


def test_tls_client_of_a_plaintext_server_is_told_it_does_not_speak_tls(server, authorities) -> None:
    files, _ = authorities
    error = failed_call(server.address, ca_file=files.ca)
    assert "likely cause: the server does not speak TLS: connect in plaintext" in error.details()


def test_client_of_a_port_where_nothing_listens_is_told_so() -> None:
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        port = bound.getsockname()[1]
    error = failed_call(f"127.0.0.1:{port}")
    assert "Connection refused; likely cause: nothing listens at that address and port" in error.details()


def test_mtls_server_logs_a_client_without_a_certificate_as_one_json_line_with_the_reason(
    mtls_server, authorities
) -> None:
    files, _ = authorities
    assert (
        health_code(mtls_server.address, channel_credentials(files, client_cert=False)) != grpc.StatusCode.OK
    )

    def refusals() -> list[dict[str, Any]]:
        return [
            entry for entry in mtls_server.log if entry.get("reason") == "PEER_DID_NOT_RETURN_A_CERTIFICATE"
        ]

    wait_until(refusals, what="the server's log line about the refused handshake")
    refusal = refusals()[0]
    assert refusal["severity"] == "WARNING" and refusal["logger"] == "grpc.core"
    assert refusal["message"] == (
        "TLS handshake failed: the client sent no certificate, and this server requires one "
        "(--tls-client-ca) (PEER_DID_NOT_RETURN_A_CERTIFICATE)"
    )
    assert "Handshake failed" in refusal["core_message"]
    # Every line the server wrote, on stdout and stderr (merged by ServerProcess), is JSON.
    assert [line for line in mtls_server.raw_log if not line.startswith("{")] == []
    assert len(mtls_server.log) == len(mtls_server.raw_log)
