"""The one settings object of the server, filled from flags and environment variables.

Each field's description, given once here, is also its `--help` text, and its check
(`setting_checks`) is what its flag and its environment variable both accept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ner_server.front.setting_checks import (
    Check,
    Choice,
    Number,
    PathList,
    ReadableFile,
    Switch,
    Text,
    Whole,
)
from ner_server.front.tls import TlsFiles
from ner_server.shared.worker_config import MATMULS, PIPELINES, WorkerConfig


def available_cpus() -> int:
    """The CPUs this process may run on (respects affinity masks and container cpusets)."""
    return len(os.sched_getaffinity(0))


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_PORT = Whole(0, 65535)
_COUNT = Whole(1)
_SIZE = Whole(0)
_SECONDS = Number("seconds")
_FILE = ReadableFile()


def _setting(default: Any, description: str, check: Check) -> Any:
    choices = check.values if isinstance(check, Choice) else None
    metadata = {"help": description, "check": check, "choices": choices}
    if callable(default):
        return field(default_factory=default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """How the server runs. Every field has a flag and an environment variable (see `cli`)."""

    host: str = _setting("[::]", "address to bind; [::] listens on every interface", Text())
    port: int = _setting(50051, "port to listen on; 0 picks a free one, logged (Cloud Run sets PORT)", _PORT)
    workers: int = _setting(
        available_cpus, "model worker processes (default: the CPUs this process may use)", _COUNT
    )
    model: str = _setting("en_core_web_md", "an installed model package name or a model directory", Text())
    pipeline: str = _setting(
        "entities",
        "'entities' runs only the components the entities depend on, found from the pipeline's own "
        "metadata and checked against the full pipeline at start; 'full' runs every component",
        Choice(PIPELINES),
    )
    code: tuple[str, ...] = _setting(
        tuple,
        "a Python file to import before the model loads, for a pipeline's custom components "
        "(as spacy train --code); repeat the flag for several (env: paths separated by ':')",
        PathList(),
    )
    matmul: str = _setting(
        "numpy",
        "how the model's layers multiply matrices: 'numpy' (numpy's BLAS, which picks kernels for "
        "this CPU) or 'blis' (spaCy's default); the entities are the same",
        Choice(MATMULS),
    )
    max_text_chars: int = _setting(100_000, "longest accepted text, in code points", _COUNT)
    keep_words: int = _setting(
        20_000,
        "words each worker keeps from the first texts it sees, so they are not analysed again "
        "(at most about 13 MiB per worker at 20,000); past that, what a batch adds is freed after it "
        "(0: keep none)",
        _SIZE,
    )
    max_batch_documents: int = _setting(1_000, "most documents in one BatchExtractEntities call", _COUNT)
    max_message_bytes: int = _setting(
        16 * 1024 * 1024, "largest request or response message, in bytes", Whole(1024, 2**31 - 1)
    )
    batch_max_documents: int = _setting(64, "most documents a worker runs through the model at once", _COUNT)
    batch_max_bytes: int = _setting(
        72_000,
        "most request bytes a worker runs at once (one over-long document still runs alone)",
        _COUNT,
    )
    batch_gather_seconds: float = _setting(
        0.015,
        "while every other worker is busy, a worker that just answered a batch waits at most this "
        "long (and a quarter of that batch's time) for as many documents as that batch had (0: never)",
        _SECONDS,
    )
    pin_workers: bool = _setting(
        True, "keep each worker on a CPU of its own (slot i on the i-th CPU)", Switch()
    )
    worker_spin_seconds: float = _setting(
        0.002,
        "seconds an idle worker polls for its next batch before it sleeps, keeping its caches (0: never)",
        _SECONDS,
    )
    worker_nice: int = _setting(
        10,
        "niceness of the workers: the front process, which feeds them, goes first when they "
        "share a core, so its calls never queue behind the model (0: same as the front)",
        Whole(-20, 19),
    )
    batches_in_flight_per_worker: int = _setting(1, "batches sent ahead to each worker", _COUNT)
    max_queued_documents: int = _setting(
        2_048, "queued documents before new calls get RESOURCE_EXHAUSTED", _COUNT
    )
    max_queued_bytes: int = _setting(
        8_000_000, "queued request bytes before new calls get RESOURCE_EXHAUSTED", _COUNT
    )
    stream_window: int = _setting(
        0,
        "documents of one stream read ahead of the results sent (0: two full batches per worker, "
        "2 x workers x batch-max-documents, so one stream keeps every worker busy)",
        _SIZE,
    )
    max_concurrent_calls: int = _setting(
        4_096, "calls (streams included) handled at once; past it a call gets RESOURCE_EXHAUSTED", _COUNT
    )
    max_streams_per_connection: int = _setting(
        256, "open StreamExtractEntities calls on one connection; past it RESOURCE_EXHAUSTED", _COUNT
    )
    metrics_port: int = _setting(
        0, "serve Prometheus metrics over HTTP on this port at /metrics (0: off)", _PORT
    )
    grace_seconds: float = _setting(
        8.0, "seconds in-flight calls get to finish after SIGTERM (Cloud Run allows 10)", _SECONDS
    )
    log_level: str = _setting(
        "INFO", "DEBUG, INFO, WARNING or ERROR, for the JSON log on stdout", Choice(LOG_LEVELS, upper=True)
    )
    tls_cert: str = _setting(
        "",
        "PEM certificate chain of the server: with --tls-key, serve TLS (health and reflection too) "
        "instead of plaintext; reloaded when the file changes (empty: plaintext)",
        _FILE,
    )
    tls_key: str = _setting(
        "", "PEM private key of --tls-cert (unencrypted); reloaded when the file changes", _FILE
    )
    tls_client_ca: str = _setting(
        "",
        "PEM CA certificates: with --tls-cert, require every client to present a certificate they "
        "sign (mutual TLS); reloaded when the file changes (empty: any client may connect)",
        _FILE,
    )

    @property
    def stream_read_ahead(self) -> int:
        """`stream_window`, with 0 resolved."""
        return self.stream_window or 2 * self.workers * self.batch_max_documents

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def tls(self) -> TlsFiles | None:
        """The TLS files, or None for plaintext."""
        if not self.tls_cert:
            return None
        return TlsFiles(
            Path(self.tls_cert), Path(self.tls_key), Path(self.tls_client_ca) if self.tls_client_ca else None
        )

    def worker_config(self) -> WorkerConfig:
        """What the model processes need of these settings."""
        return WorkerConfig(
            model=self.model,
            pipeline=self.pipeline,
            matmul=self.matmul,
            code=self.code,
            keep_words=self.keep_words,
            max_text_chars=self.max_text_chars,
            log_level=self.log_level,
            spin_seconds=self.worker_spin_seconds,
            nice=self.worker_nice,
        )

    def tls_problem(self) -> str | None:
        """Why the TLS settings do not go together, or None."""
        if bool(self.tls_cert) != bool(self.tls_key):
            return "--tls-cert and --tls-key (NER_TLS_CERT and NER_TLS_KEY) go together"
        if self.tls_client_ca and not self.tls_cert:
            return "--tls-client-ca (NER_TLS_CLIENT_CA) needs --tls-cert and --tls-key"
        return None
