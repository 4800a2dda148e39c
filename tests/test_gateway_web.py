"""What a browser meets at the gateway: CORS off unless origins are allowed by flag (a preflight
from an allowed origin answered, one from any other refused), and the page's files served with
a Content-Security-Policy that lets only the page's own scripts and styles run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ner_client.web.app import CONTENT_SECURITY_POLICY, STATIC

from tests.conftest import unavailable
from tests.gateway_support import GatewayProcess, http, post_json
from tests.support import ServerProcess

ALLOWED = "https://app.example.com"
RPC = "/ner.v1.NerService/ExtractEntities"


def preflight(gateway: GatewayProcess, origin: str, headers: str = "content-type,connect-protocol-version"):
    return http(
        gateway.url + RPC,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
        method="OPTIONS",
    )


@pytest.fixture(scope="module")
def closed(server: ServerProcess) -> Iterator[GatewayProcess]:
    process = GatewayProcess(server.address)
    yield process
    assert process.stop() == 0


@pytest.fixture(scope="module")
def open_to_one(server: ServerProcess) -> Iterator[GatewayProcess]:
    process = GatewayProcess(server.address, "--allowed-origin", ALLOWED)
    yield process
    assert process.stop() == 0


def test_cors_is_off_by_default(closed) -> None:
    answer = preflight(closed, ALLOWED)
    assert answer.status == 405
    assert "Access-Control-Allow-Origin" not in answer.headers
    call = post_json(closed, "ExtractEntities", {"text": "Oslo."}, Origin=ALLOWED)
    assert call.status == 200
    assert "Access-Control-Allow-Origin" not in call.headers


@pytest.mark.parametrize(
    "headers",
    [
        "content-type,connect-protocol-version,connect-timeout-ms",
        "x-grpc-web,x-user-agent,grpc-timeout,content-type",
    ],
)
def test_a_preflight_from_an_allowed_origin_is_answered(open_to_one, headers) -> None:
    answer = preflight(open_to_one, ALLOWED, headers)
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    assert all(header in allowed for header in headers.split(","))
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


def test_a_call_from_an_allowed_origin_may_read_the_status_headers(open_to_one) -> None:
    answer = post_json(open_to_one, "ExtractEntities", {"text": "Oslo."}, Origin=ALLOWED)
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "grpc-status" in answer.headers["Access-Control-Expose-Headers"].lower()


def test_a_preflight_from_another_origin_is_refused(open_to_one) -> None:
    answer = preflight(open_to_one, "https://evil.example.net")
    assert answer.status == 400
    assert "Access-Control-Allow-Origin" not in answer.headers
    call = post_json(open_to_one, "ExtractEntities", {"text": "Oslo."}, Origin="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in call.headers


def test_the_page_is_served_at_the_root_with_a_content_security_policy(closed) -> None:
    if not (STATIC / "index.html").is_file():
        unavailable(f"the page is not in {STATIC}")
    answer = http(closed.url + "/")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "style-src 'self';" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY


def test_a_missing_file_is_not_found_with_the_same_policy(closed) -> None:
    answer = http(closed.url + "/no-such-file.js")
    assert answer.status == 404
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert http(closed.url + "/..%2f..%2fpyproject.toml").status == 404
