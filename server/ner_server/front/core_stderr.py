"""gRPC core's own text, which it writes to file descriptor 2, turned into JSON log lines.

grpcio has no hook for a failed TLS handshake: only core's text names the reason ("Handshake
failed with error SSL_ERROR_SSL: ... PEER_DID_NOT_RETURN_A_CERTIFICATE"). `Capture()` puts a
pipe in place of descriptor 2 in the front process before the fork server starts, so the model
processes inherit it too, and a thread reads it: each line of core's (`I1206 03:11:29.449288
6847 file.cc:2563] text`) becomes a record at the severity its first letter gives, a failed
handshake one WARNING that explains core's reason, and any other text (a traceback, a warning
printed by a library) one ERROR record per burst. So nothing but JSON lines leaves the server.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import Any

__all__ = ["Capture", "record_fields"]

log = logging.getLogger("grpc.core")
other = logging.getLogger("ner_server.stderr")

_CORE_LINE = re.compile(r"([DIWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+(\d+)\s+([^\s\]]+:\d+)\] ?(.*)")
_SEVERITY = {
    "D": logging.DEBUG,
    "I": logging.INFO,
    "W": logging.WARNING,
    "E": logging.ERROR,
    "F": logging.CRITICAL,
}
_HANDSHAKE = re.compile(r"Handshake failed with error (\S+?):? (.*)")
#: OpenSSL's reason, the last upper-case word of its error string: error:100000c0:SSL
#: routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE.
_REASON = re.compile(r"error:[0-9a-fA-F]+:[^:]*:[^:]*:([A-Z0-9_]+)")
_PEER = re.compile(r"\b(?:ipv4|ipv6|unix):[^\s,;\]]+")

#: What a handshake's reason means for this server, which may ask its clients for a certificate.
REASONS = {
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": "the client sent no certificate, and this server requires one "
    "(--tls-client-ca)",
    "CERTIFICATE_VERIFY_FAILED": "the client's certificate is not signed by a CA of --tls-client-ca",
    "WRONG_VERSION_NUMBER": "the client does not speak TLS (a plaintext client)",
    "HTTP_REQUEST": "the client sent plain HTTP, not TLS",
    "TLSV1_ALERT_UNKNOWN_CA": "the client does not trust the CA of this server's certificate",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the client refused this server's certificate",
    "TLSV1_ALERT_CERTIFICATE_UNKNOWN": "the client refused this server's certificate",
    "NO_SHARED_CIPHER": "the client offers no cipher this server accepts",
    "UNSUPPORTED_PROTOCOL": "the client's TLS version is one this server does not accept",
}


def record_fields(line: str) -> tuple[int, str, dict[str, Any]] | None:
    """The level, message and extra fields for one line of core's, or None for other text."""
    found = _CORE_LINE.fullmatch(line)
    if found is None:
        return None
    letter, thread, where, text = found.groups()
    fields: dict[str, Any] = {"core_source": where, "core_thread": int(thread)}
    if peer := _PEER.search(text):
        fields["peer"] = peer.group(0).rstrip(":")
    handshake = _HANDSHAKE.search(text)
    if handshake is None:
        return _SEVERITY[letter], text, fields
    reason_found = _REASON.search(handshake.group(2))
    reason = reason_found.group(1) if reason_found else handshake.group(1)
    explained = REASONS.get(reason, "see core_message")
    fields.update(reason=reason, core_message=text)
    return logging.WARNING, f"TLS handshake failed: {explained} ({reason})", fields


class Capture:
    """Descriptor 2 of this process (and of every process started from it) is a pipe this
    object's thread reads; `stop()` puts the original back and reads what is left."""

    def __init__(self) -> None:
        if sys.stderr is not None:
            sys.stderr.flush()
        self._original = os.dup(2)
        reading, writing = os.pipe()
        os.dup2(writing, 2)
        os.close(writing)
        self._reading = reading
        self._thread = threading.Thread(target=self._read, name="core-stderr", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The original descriptor 2 back; lines still in the pipe are logged when every process
        holding it has exited (waits at most a second for that)."""
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(self._original, 2)
        self._thread.join(1.0)

    def _read(self) -> None:
        pending = b""
        while chunk := os.read(self._reading, 65536):
            *lines, pending = (pending + chunk).split(b"\n")
            self._emit(lines)
        if pending:
            self._emit([pending])
        os.close(self._reading)

    def _emit(self, lines: list[bytes]) -> None:
        try:
            self._log([line.decode("utf-8", "replace").rstrip("\r") for line in lines])
        except Exception:  # noqa: BLE001 - logging failed: a report on stderr would come back here
            os.write(self._original, b"".join(line + b"\n" for line in lines))

    def _log(self, lines: list[str]) -> None:
        burst: list[str] = []
        for line in lines:
            parsed = record_fields(line)
            if parsed is None:
                if line.strip():
                    burst.append(line)
                continue
            self._flush(burst)
            level, message, fields = parsed
            log.log(level, message, extra=fields)
        self._flush(burst)

    @staticmethod
    def _flush(burst: list[str]) -> None:
        if burst:
            other.error("\n".join(burst), extra={"stream": "stderr"})
            burst.clear()
