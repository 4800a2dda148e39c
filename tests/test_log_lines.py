"""Nothing but JSON lines leaves the server: text that any of its processes writes to descriptor 2
(gRPC core's own lines, a library's warning, a traceback) comes out as a JSON log line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ner_server.front.core_stderr import record_fields

from tests import own_pipelines as made
from tests.support import ServerProcess

#: Custom code the fork server imports before the model loads: it writes to descriptor 2 itself,
#: as C code does, and through Python's sys.stderr.
NOISY_CODE = """
import os, sys
os.write(2, b"plain text from the fork server\\n")
sys.stderr.write("a second line\\n")
sys.stderr.flush()
"""


def test_text_a_model_process_writes_to_stderr_becomes_one_json_error_line(tmp_path: Path) -> None:
    code = tmp_path / "noisy.py"
    code.write_text(NOISY_CODE)
    server = ServerProcess(
        ["--workers", "1", "--model", str(made.blank_entity_ruler(tmp_path)), "--code", str(code)]
    )
    try:
        server.wait_serving(120)
    finally:
        server.stop()
    assert [json.loads(line) for line in server.raw_log] == server.log
    texts = [entry for entry in server.log if entry.get("stream") == "stderr"]
    assert {entry["severity"] for entry in texts} == {"ERROR"}
    assert "\n".join(entry["message"] for entry in texts) == "plain text from the fork server\na second line"


def test_core_lines_keep_their_severity_and_a_failed_handshake_names_its_reason() -> None:
    info = record_fields(
        "I1206 03:11:29.449288    6847 chttp2_transport.cc:1201] ipv4:10.0.0.7:5512: ping timeout"
    )
    assert info == (
        logging.INFO,
        "ipv4:10.0.0.7:5512: ping timeout",
        {"core_source": "chttp2_transport.cc:1201", "core_thread": 6847, "peer": "ipv4:10.0.0.7:5512"},
    )
    assert record_fields("E1206 03:11:29.449288 12 server.cc:9] boom")[0] == logging.ERROR  # type: ignore[index]
    assert record_fields("W1206 03:11:29.449288 12 server.cc:9] hmm")[0] == logging.WARNING  # type: ignore[index]
    handshake = record_fields(
        "I1206 03:11:31.106679    7750 ssl_transport_security.cc:2563] Handshake failed with error "
        "SSL_ERROR_SSL: error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED: unable "
        "to get local issuer certificate"
    )
    assert handshake is not None
    level, message, fields = handshake
    assert level == logging.WARNING and fields["reason"] == "CERTIFICATE_VERIFY_FAILED"
    assert message == (
        "TLS handshake failed: the client's certificate is not signed by a CA of --tls-client-ca "
        "(CERTIFICATE_VERIFY_FAILED)"
    )
    assert record_fields("Traceback (most recent call last):") is None
