"""TLS and mutual TLS server credentials from PEM files, reloaded when the files change on disk.

gRPC asks the fetcher for a new certificate configuration before every TLS handshake; it answers
None (no change) unless a file's modification time, size or inode changed since the files were
last loaded. New files are checked (the key matches the certificate, every PEM parses) before
they replace the ones in use, so a half-written rotation keeps the old configuration serving
until the files are whole.
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

import grpc

log = logging.getLogger(__name__)

__all__ = ["TlsFiles"]

_Stamp = tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class TlsFiles:
    """The server's certificate chain and key, and for mutual TLS the CA that signs client certificates."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    @property
    def mutual(self) -> bool:
        return self.client_ca is not None

    def credentials(self) -> grpc.ServerCredentials:
        """Credentials that reload the files; OSError (ssl.SSLError too) if they are unusable now."""
        return _Reloader(self).credentials()

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.cert, self.key) if self.client_ca is None else (self.cert, self.key, self.client_ca)


class _Reloader:
    def __init__(self, files: TlsFiles) -> None:
        self._files = files
        self._loaded: _Stamp = ()
        self._rejected: _Stamp | None = None

    def credentials(self) -> grpc.ServerCredentials:
        stamp, configuration = self._load()
        self._loaded = stamp
        return grpc.dynamic_ssl_server_credentials(
            configuration, self._fetch, require_client_authentication=self._files.mutual
        )

    def _fetch(self) -> grpc.ServerCertificateConfiguration | None:
        # Called by gRPC's core before each handshake: it must not raise, and a failure keeps the
        # configuration in use.
        stamp: _Stamp = ()  # stays empty while a file is missing
        try:
            stamp = self._stamp()
            if stamp in (self._loaded, self._rejected):
                return None
            stamp, configuration = self._load()
        except Exception as error:  # noqa: BLE001 - logged; the old files keep serving
            if stamp != self._rejected:
                log.warning("TLS files not reloaded, the ones loaded before stay in use: %s", error)
                self._rejected = stamp
            return None
        self._loaded = stamp
        log.info("TLS files reloaded", extra={"files": [str(path) for path in self._files.paths]})
        return configuration

    def _stamp(self) -> _Stamp:
        return tuple((s.st_mtime_ns, s.st_size, s.st_ino) for s in map(os.stat, self._files.paths))

    def _load(self) -> tuple[_Stamp, grpc.ServerCertificateConfiguration]:
        files = self._files
        before = self._stamp()
        cert, key = files.cert.read_bytes(), files.key.read_bytes()
        client_ca = files.client_ca.read_bytes() if files.client_ca is not None else None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(files.cert, files.key, password=b"")
        if files.client_ca is not None:
            context.load_verify_locations(files.client_ca)
        if self._stamp() != before:
            raise OSError("the files changed while they were read")
        return before, grpc.ssl_server_certificate_configuration([(key, cert)], client_ca)
