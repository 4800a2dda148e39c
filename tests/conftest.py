"""Shared fixtures: a real server process on a free port, channels to it, the in-process model."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from ner_client.proto import ner_pb2_grpc

from tests.support import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def load_corpus(name: str) -> list[dict[str, str]]:
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"the shared corpus is missing: {path}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def require_tool(name: str) -> str:
    """The tool's path; in CI a missing tool fails the test, elsewhere it skips."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (make setup installs it into .tools)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


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
    """The same pipeline as the server's default, in this process: the reference for fidelity."""
    from ner_server.model import load_pipeline

    return load_pipeline("en_core_web_md", "ner")


@pytest.fixture(scope="session")
def gum_documents() -> list[dict[str, str]]:
    return load_corpus("gum_wiki.jsonl")


@pytest.fixture(scope="session")
def gum_paragraphs() -> list[dict[str, str]]:
    return load_corpus("gum_wiki_sentences.jsonl")
