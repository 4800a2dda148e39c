"""The client installs alone: its wheel, in a clean venv without spaCy, calls a real server.

Both wheels are built from a copy of the sources, so nothing is written into the checkout. The
client wheel goes into a fresh venv with only its own dependencies, taken from a wheel cache in
build/client-wheels/ (filled from the package index when it lacks one). From that venv a script
calls the session's server with NerClient and AsyncNerClient, and that venv's `ner-tag` tags a
small JSONL. Sizes and times are written to build/client-wheel.json.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

import pytest
from ner_client import NerClient

from tests.conftest import ROOT
from tests.support import ServerProcess, recorded_facts

CACHE = ROOT / "build" / "client-wheels"
REPORT = ROOT / "build" / "client-wheel.json"
#: What a client-only install must not bring along: the model stack and the server's extras.
SERVER_ONLY = ("spacy", "thinc", "blis", "ner_server", "en_core_web_md", "grpc_health", "grpc_reflection")
TEXT = "Toni Morrison taught at Princeton University from 1989."
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")

pytestmark = pytest.mark.timeout(600)


@dataclass(frozen=True)
class Wheel:
    path: Path
    metadata: Any  # email.message.Message
    names: frozenset[str]

    @property
    def requires(self) -> list[str]:
        return list(self.metadata.get_all("Requires-Dist") or [])


@dataclass(frozen=True)
class Venv:
    root: Path
    site_packages: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env={}
        )


def read_wheel(path: Path) -> Wheel:
    with zipfile.ZipFile(path) as archive:
        names = frozenset(archive.namelist())
        [metadata_name] = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode())
    return Wheel(path, metadata, names)


def pip(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def facts() -> Iterator[dict[str, Any]]:
    yield from recorded_facts(REPORT)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory, facts: dict[str, Any]) -> dict[str, Wheel]:
    """Both distributions, built from a copy of the sources with the checkout's setuptools."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("server", "client"):
        shutil.copytree(ROOT / name, source / name, ignore=COPY_IGNORE)
    dist = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    built = pip(
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        str(dist),
        str(source / "client"),
        str(source),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    facts["wheel_build_seconds"] = round(time.monotonic() - started, 1)
    found = {read_wheel(path).metadata["Name"]: read_wheel(path) for path in dist.glob("*.whl")}
    assert set(found) == {"ner-grpc", "ner-grpc-client"}
    facts["client_wheel"] = found["ner-grpc-client"].path.name
    facts["client_wheel_bytes"] = found["ner-grpc-client"].path.stat().st_size
    facts["server_wheel_bytes"] = found["ner-grpc"].path.stat().st_size
    return found


@pytest.fixture(scope="module")
def client_venv(
    wheels: dict[str, Wheel], tmp_path_factory: pytest.TempPathFactory, facts: dict[str, Any]
) -> Venv:
    """A fresh venv holding the client wheel and its dependencies, nothing else (not even pip)."""
    root = tmp_path_factory.mktemp("client-only") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=60)
    client = wheels["ner-grpc-client"]
    install = ("--python", str(root / "bin" / "python"), "install", "--no-index", "--find-links", str(CACHE))
    started = time.monotonic()
    done = pip(*install, str(client.path))
    if done.returncode != 0:  # the cache lacks a dependency (the first run, or a new pin)
        needed = [requirement for requirement in client.requires if "extra ==" not in requirement]
        started = time.monotonic()
        fetched = pip("download", "--only-binary", ":all:", "--dest", str(CACHE), *needed)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        facts["download_seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        done = pip(*install, str(client.path))
        facts["wheel_cache"] = "filled from the package index"
    else:
        facts["wheel_cache"] = "hit"
    assert done.returncode == 0, done.stdout + done.stderr
    facts["install_seconds"] = round(time.monotonic() - started, 1)
    [site_packages] = root.glob("lib/python*/site-packages")
    files = [path for path in site_packages.rglob("*") if path.is_file()]
    facts["site_packages_bytes"] = sum(path.stat().st_size for path in files)
    du = subprocess.run(["du", "-sk", str(site_packages)], capture_output=True, text=True, check=True)
    facts["site_packages_du_kib"] = int(du.stdout.split()[0])
    return Venv(root, site_packages)


def test_the_wheels_split_the_packages_and_share_one_version(wheels: dict[str, Wheel]) -> None:
    client, server = wheels["ner-grpc-client"], wheels["ner-grpc"]
    assert client.metadata["Version"] == server.metadata["Version"]
    assert f"ner-grpc-client=={client.metadata['Version']}" in server.requires
    assert {
        "ner_client/proto/ner_pb2.py",
        "ner_client/proto/ner_pb2.pyi",
        "ner_client/py.typed",
    } <= client.names
    assert not any(name.startswith("ner_server/") for name in client.names)
    assert "ner_server/front/servicer.py" in server.names
    assert not any(name.startswith("ner_client/") for name in server.names)
    # The gateway (the web extra) asks the service's health and reads rich statuses; the client
    # proper needs neither.
    client_requirements = " ".join(r for r in client.requires if "extra ==" not in r).lower()
    for server_only in ("spacy", "mooring", "grpcio-health-checking", "grpcio-reflection", "grpcio-status"):
        assert server_only not in client_requirements
    web = " ".join(r for r in client.requires if 'extra == "web"' in r).lower()
    assert "connect-python==" in web and "spacy" not in web and "mooring" not in web
    assert {"ner_client/proto/ner_connect.py", "ner_client/web/cli.py"} <= client.names
    assert any(r.startswith("google-auth") and 'extra == "auth"' in r for r in client.requires)


def test_the_client_only_venv_has_no_spacy_and_no_server(client_venv: Venv, tmp_path: Path) -> None:
    probe = (
        "import importlib.metadata, importlib.util, json, ner_client; print(json.dumps({"
        f"'found': [m for m in {SERVER_ONLY!r} if importlib.util.find_spec(m)], "
        "'client': ner_client.__file__, "
        "'distributions': sorted(d.metadata['Name'] for d in importlib.metadata.distributions())}))"
    )
    done = client_venv.run(str(client_venv.python), "-I", "-c", probe, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["found"] == []
    assert Path(found["client"]).is_relative_to(client_venv.site_packages)
    assert "ner-grpc-client" in found["distributions"]
    assert not {"spacy", "thinc", "ner-grpc", "grpcio-health-checking"} & set(found["distributions"])


CALLS = """
import asyncio, json, sys
from ner_client import AsyncNerClient, NerClient

address, text = sys.argv[1], sys.argv[2]
with NerClient(address) as client:
    sync = [entity.as_dict() for entity in client.extract(text)]
    streamed = [(r.id, [e.text for e in r.entities]) for r in client.stream(["Rome.", "Oslo."])]
    model = client.model_info().model_name

async def main():
    async with AsyncNerClient(address) as client:
        entities = [entity.as_dict() for entity in await client.extract(text)]
        return entities, [(r.id, [e.text for e in r.entities]) async for r in client.stream(["Lagos."])]

asynchronous, async_streamed = asyncio.run(main())
answer = {"sync": sync, "async": asynchronous, "streamed": streamed + async_streamed, "model": model}
print(json.dumps(answer))
"""


def test_the_client_only_venv_calls_the_server_sync_and_async(
    client_venv: Venv, server: ServerProcess, tmp_path: Path
) -> None:
    script = tmp_path / "calls.py"
    script.write_text(CALLS)
    done = client_venv.run(str(client_venv.python), "-I", str(script), server.address, TEXT, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    with NerClient(server.address) as client:
        expected = [entity.as_dict() for entity in client.extract(TEXT)]
    assert answer["sync"] == answer["async"] == expected
    assert ("Princeton University", "ORG") in {(e["text"], e["label"]) for e in answer["sync"]}
    assert answer["streamed"] == [["0", ["Rome"]], ["1", ["Oslo"]], ["0", ["Lagos"]]]
    assert answer["model"] == "en_core_web_md"


def test_the_client_only_venv_ner_tag_tags_a_jsonl(
    client_venv: Venv, server: ServerProcess, tmp_path: Path
) -> None:
    rows = [
        {"id": "a", "text": TEXT, "source": "test"},
        {"id": 2, "text": "Ada Lovelace was born in London in 1815."},
        {"id": "empty", "text": ""},
        {"id": "c", "text": "Kyoto is in Japan.", "page": 3},
    ]
    corpus = tmp_path / "in.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output, errors = tmp_path / "out.jsonl", tmp_path / "errors.jsonl"
    ner_tag = str(client_venv.root / "bin" / "ner-tag")
    args = [str(corpus), "-t", server.address, "-o", str(output), "--errors", str(errors), "--no-progress"]
    done = client_venv.run(ner_tag, *args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # one document failed
    written = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    with NerClient(server.address) as client:
        expected = [
            {
                "id": row["id"],
                "entities": [entity.as_dict() for entity in client.extract(row["text"])],
                **{key: value for key, value in row.items() if key not in ("id", "text")},
            }
            for row in rows
            if row["text"]
        ]
    assert written == expected
    [error] = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert (error["id"], error["code"]) == ("empty", "INVALID_ARGUMENT")
    assert "4 documents" in done.stderr and "1 errors" in done.stderr
