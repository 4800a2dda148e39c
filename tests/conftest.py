"""Shared fixtures: a real server process on a free port, channels to it, the in-process model,
and the shared corpus, found through `NER_CORPUS_DIR` (skipped without it, failing in CI)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import grpc
import pytest
from ner_client.proto import ner_pb2_grpc

from tests.support import ServerProcess

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    """`NER_CORPUS_DIR` (a relative path is taken from the repository root), else ../shared/corpus."""
    configured = os.environ.get("NER_CORPUS_DIR")
    return ROOT / configured if configured else ROOT.parent / "shared" / "corpus"


def require_corpus(name: str) -> Path:
    """A file of the shared corpus; in CI a missing corpus fails the test, elsewhere it skips."""
    path = corpus_dir() / name
    if not path.is_file():
        unavailable(f"the shared corpus is not at {path.parent} (set NER_CORPUS_DIR)")
    return path


def load_corpus(name: str) -> list[dict[str, str]]:
    lines = require_corpus(name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def require_tool(name: str) -> str:
    """The tool's path; in CI a missing tool fails the test, elsewhere it skips."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed (make setup installs it into .tools)")
    return path


def unavailable(reason: str) -> NoReturn:
    """Something a test needs is missing: a failure in CI, where everything must be there, else a skip."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    """One server with two workers, shared by every test that only makes calls."""
    process = ServerProcess(["--workers", "2"])
    process.wait_serving()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def channel(server: ServerProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def stub(channel: grpc.Channel) -> ner_pb2_grpc.NerServiceStub:
    return ner_pb2_grpc.NerServiceStub(channel)


@pytest.fixture(scope="session")
def nlp():
    """The same pipeline as the server's default, in this process and as spaCy ships it (blis,
    while the server multiplies through numpy): the reference for fidelity."""
    from ner_server.worker.loading import load_pipeline

    return load_pipeline("en_core_web_md", "entities", matmul="blis")


@pytest.fixture(scope="session")
def gum_documents() -> list[dict[str, str]]:
    """The shared corpus's whole documents; only for fidelity over text written by others."""
    return load_corpus("gum_wiki.jsonl")


@pytest.fixture(scope="session")
def gum_paragraphs() -> list[dict[str, str]]:
    """The shared corpus's paragraphs; only for fidelity over text written by others."""
    return load_corpus("gum_wiki_sentences.jsonl")
