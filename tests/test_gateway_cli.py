"""`ner-web` checks every flag and `NER_WEB_*` / `PORT` value at start: a bad one exits 2 with
one line that names it. On SIGTERM it drains: the port closes, the call in flight still gets
its answer, and the process exits 0. Work is held still by stopping the worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from ner_client.web.cli import parse_settings

from tests.gateway_support import Answer, GatewayProcess, http, post_json
from tests.support import ServerProcess, stopped, unread_bytes, wait_until

BAD_SETTINGS = [
    (["--port", "abc"], {}, "--port"),
    (["--port", "70000"], {}, "--port"),
    ([], {"PORT": "eighty"}, "PORT"),
    ([], {"NER_WEB_PORT": "-5"}, "NER_WEB_PORT"),
    (["--max-calls", "0"], {}, "--max-calls"),
    ([], {"NER_WEB_MAX_BODY_BYTES": "1.5"}, "NER_WEB_MAX_BODY_BYTES"),
    (["--default-timeout", "0"], {}, "--default-timeout"),
    (["--grace", "nan"], {}, "--grace"),
    (["--allowed-origin", "https://example.com/page"], {}, "--allowed-origin"),
    ([], {"NER_WEB_ALLOWED_ORIGINS": "https://a.example,ftp://b.example"}, "NER_WEB_ALLOWED_ORIGINS"),
    (["--log-level", "loud"], {}, "--log-level"),
    ([], {"NER_WEB_TLS": "maybe"}, "NER_WEB_TLS"),
    (["--ca-file", "/no/such/ca.pem"], {}, "--ca-file"),
    (["--cert-file", __file__], {}, "--cert-file"),
    (["--id-token"], {}, "--id-token"),
    (["--bogus"], {}, "--bogus"),
]


def run_gateway(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NER_WEB_") and k != "PORT"}
    return subprocess.run(
        [sys.executable, "-m", "ner_client.web", *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("args", "env", "named"), BAD_SETTINGS, ids=[case[2] for case in BAD_SETTINGS])
def test_a_bad_setting_exits_2_with_one_line_naming_it(args, env, named) -> None:
    completed = run_gateway(["--target", "localhost:50051", *args], env)
    assert completed.returncode == 2
    assert completed.stdout == ""
    [line] = completed.stderr.splitlines()
    assert line.startswith("ner-web: error: ") and named in line


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        ([], {}, "--target"),
        (["--target", "no-port-here"], {}, "--target"),
        ([], {"NER_WEB_TARGET": "a:b"}, "NER_WEB_TARGET"),
    ],
)
def test_a_missing_or_bad_target_exits_2(args, env, named) -> None:
    completed = run_gateway(args, env)
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert named in line


def test_a_port_in_use_exits_2_with_one_log_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = run_gateway(
            ["--target", "localhost:50051", "--host", "127.0.0.1", "--port", str(port)], {}
        )
    assert completed.returncode == 2
    [line] = completed.stdout.splitlines()
    assert "could not start" in line and str(port) in line


def test_flags_win_over_variables_and_port_comes_from_port_first() -> None:
    env = {
        "NER_WEB_TARGET": "backend:50051",
        "NER_WEB_MAX_CALLS": "7",
        "PORT": "9000",
        "NER_WEB_PORT": "9001",
    }
    settings = parse_settings(["--max-calls", "5"], env)
    assert (settings.target, settings.max_calls, settings.port) == ("backend:50051", 5, 9000)
    assert parse_settings(
        [], {**env, "NER_WEB_ALLOWED_ORIGINS": "https://a.example, https://b.example/"}
    ).allowed_origins == (
        "https://a.example",
        "https://b.example",
    )


def test_the_process_reads_its_variables(server: ServerProcess) -> None:
    env = {**os.environ, "NER_WEB_ALLOWED_ORIGINS": "https://app.example.com", "NER_WEB_LOG_LEVEL": "debug"}
    gateway = GatewayProcess(server.address, env=env)
    try:
        [listening] = [entry for entry in gateway.log if entry["message"] == "listening"]
        assert (listening["target"], listening["origins"]) == (server.address, ["https://app.example.com"])
        assert (
            post_json(gateway, "GetModelInfo", {}, Origin="https://app.example.com").headers[
                "Access-Control-Allow-Origin"
            ]
            == "https://app.example.com"
        )
    finally:
        assert gateway.stop() == 0


def test_sigterm_drains_the_call_in_flight_then_exits_0() -> None:
    server = ServerProcess(["--workers", "1"])
    try:
        server.wait_serving()
        [worker] = server.worker_pids()
        # A grace far longer than the test needs: the drain must wait for the call, not race it.
        gateway = GatewayProcess(server.address, "--grace", "120")
        answers: list[Answer] = []
        with stopped([worker]):
            call = threading.Thread(
                target=lambda: answers.append(post_json(gateway, "ExtractEntities", {"text": "Oslo."}))
            )
            call.start()
            wait_until(lambda: unread_bytes(worker) > 0, what="the call handed to the stopped worker")
            gateway.process.send_signal(signal.SIGTERM)
            wait_until(
                lambda: any(e["message"] == "draining" for e in gateway.log), what="the gateway draining"
            )
            wait_until(lambda: not _accepts(gateway.port), what="the gateway's port closing")
            assert gateway.process.poll() is None
        call.join(60)
        assert [answer.status for answer in answers] == [200]
        assert answers[0].json()["entities"][0]["text"] == "Oslo"
        assert gateway.process.wait(30) == 0  # on its own: the SIGTERM above was enough
        gateway.stop()
        assert gateway.log[-1]["message"] == "stopped"
    finally:
        server.stop()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except OSError:
        return False


def test_healthz_is_answered_while_serving(server: ServerProcess) -> None:
    gateway = GatewayProcess(server.address)
    try:
        answer = http(f"{gateway.url}/healthz")
        assert (answer.status, answer.json()) == (200, {"status": "SERVING", "target": server.address})
        assert answer.headers["Cache-Control"] == "no-store"
    finally:
        assert gateway.stop() == 0
