"""The generated Go and TypeScript clients against the real server: their own tests (`go test`,
`node --test`) and their examples, run with the server's address and the entities the Python
client got for the same texts, in plaintext and over mutual TLS; and their stubs are what
`buf generate` makes of protos/."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from ner_client import NerClient

from tests.certs import CertFiles, write_set
from tests.conftest import ROOT, require_tool, unavailable
from tests.support import ServerProcess

GO_CLIENT = ROOT / "clients" / "go"
TS_CLIENT = ROOT / "clients" / "typescript"
PLUGINS = [
    ROOT / ".tools" / "bin" / "protoc-gen-go",
    ROOT / ".tools" / "bin" / "protoc-gen-go-grpc",
    TS_CLIENT / "node_modules" / ".bin" / "protoc-gen-es",
]
GENERATED = [
    Path("clients/go/nerv1/ner.pb.go"),
    Path("clients/go/nerv1/ner_grpc.pb.go"),
    Path("clients/typescript/src/gen/ner/v1/ner_pb.ts"),
]

# Offset traps for three ways of indexing a string: emoji outside the Basic Multilingual Plane (two
# UTF-16 units, four UTF-8 bytes, one code point), a ZWJ sequence, flags (two regional indicators),
# combining marks (a code point of their own) and CJK (three UTF-8 bytes, one UTF-16 unit).
CASES = {
    "emoji": "🚀🚀 Priya Raman joined NASA in Houston on 4 March 2019, and her whole team cheered 🎉.",
    "flags": "🇧🇷🇦🇷 Brazil played Argentina in Buenos Aires last Sunday, and Lionel Messi scored twice.",
    "combining": "Jose\u0301 Mari\u0301a Pe\u0301rez opened a bakery in Seville in 2021 with a loan from "
    "Banco Santander.",
    "cjk": "A delegation from 東京 met Kenji Watanabe at the Sony offices in Osaka on 9 July 😀.",
    "mixed": "👩\u200d🔬 Amara Okafor of Oxford University spoke in 北京 on Thursday 🇨🇳, and Siemens "
    "pledged $2 million.",
}

# The examples' own texts (clients/go/example/main.go, clients/typescript/src/example.ts), by id.
EXAMPLE_TEXTS = {
    "text": "🎉 Ada Lovelace met Charles Babbage in London in June 1833.",
    "a": "Zoë Ngata flew from Wellington to 東京 on Friday 🇯🇵.",
    "b": "Toyota opened a plant in Kentucky in 1988 🚗.",
}


@pytest.fixture(scope="module")
def expected(server, tmp_path_factory) -> Path:
    """What the Python client gets for `CASES`, as JSON for the other languages' tests."""
    with NerClient(server.address) as client:
        cases = [
            {"id": name, "text": text, "entities": [e.as_dict() for e in client.extract(text)]}
            for name, text in CASES.items()
        ]
    for case in cases:
        assert case["entities"], f"{case['id']}: no entities, so nothing to slice"
        utf16 = case["text"].encode("utf-16-le")
        for entity in case["entities"]:
            assert case["text"][entity["start_char"] : entity["end_char"]] == entity["text"]
            span = utf16[2 * entity["start_utf16"] : 2 * entity["end_utf16"]]
            assert span.decode("utf-16-le") == entity["text"]
    # Entities whose three offsets all differ, or the other languages' tests prove nothing.
    shifted = [
        e
        for c in cases
        for e in c["entities"]
        if len({e["start_char"], e["start_byte"], e["start_utf16"]}) == 3
    ]
    assert len(shifted) >= 5, "too few entities after characters outside the BMP"
    path = tmp_path_factory.mktemp("clients") / "expected.json"
    path.write_text(json.dumps(cases, ensure_ascii=False))
    return path


@pytest.fixture(scope="module")
def mtls_server(tmp_path_factory) -> Iterator[tuple[ServerProcess, CertFiles]]:
    """A server that serves mutual TLS, with the files of its CA and of a client it trusts."""
    files = write_set(tmp_path_factory.mktemp("certs"))
    flags = ["--tls-cert", str(files.server_cert), "--tls-key", str(files.server_key)]
    credentials = grpc.ssl_channel_credentials(
        files.ca.read_bytes(), files.client_key.read_bytes(), files.client_cert.read_bytes()
    )
    server = ServerProcess(
        ["--workers", "1", *flags, "--tls-client-ca", str(files.ca)], credentials=credentials
    )
    server.wait_serving(120)
    yield server, files
    server.stop()


def _environment(server, expected: Path, files: CertFiles | None = None) -> dict[str, str]:
    environment = {**os.environ, "NER_ADDRESS": server.address, "NER_EXPECTED": str(expected)}
    if files is not None:
        environment |= {
            "NER_CA_FILE": str(files.ca),
            "NER_CERT_FILE": str(files.client_cert),
            "NER_KEY_FILE": str(files.client_key),
        }
    return environment


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=280)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output


def _go() -> str:
    go = require_tool("go")
    if not (GO_CLIENT / ".downloaded").exists():
        unavailable("the Go client's modules are not downloaded (make setup)")
    return go


@pytest.fixture(scope="module")
def node() -> str:
    """node, with the TypeScript client compiled into clients/typescript/dist."""
    node = require_tool("node")
    if not (TS_CLIENT / "node_modules" / ".package-lock.json").exists():
        unavailable("the TypeScript client's packages are not installed (make setup)")
    _run([node, "node_modules/typescript/bin/tsc", "-p", "."], TS_CLIENT)
    return node


def _python_lines(server) -> list[str]:
    """The example's output as the Python client sees it: id, label and entity text per line."""
    with NerClient(server.address) as client:
        return [
            f"{i}\t{e.label}\t{e.text}" for i, text in EXAMPLE_TEXTS.items() for e in client.extract(text)
        ]


def _go_test(environment: dict[str, str]) -> None:
    output = _run([_go(), "test", "-count=1", "-v", "./..."], GO_CLIENT, environment)
    for name in ("TestUnaryEntitiesSliceByBytes", "TestStreamedEntitiesSliceByBytes"):
        assert f"--- PASS: {name}" in output, output
    assert "--- SKIP" not in output, output


def test_go_client_slices_by_bytes_unary_and_streamed(server, expected) -> None:
    _go_test(_environment(server, expected))


def test_go_client_calls_over_mutual_tls(mtls_server, expected) -> None:
    server, files = mtls_server
    _go_test(_environment(server, expected, files))


def test_go_example_prints_what_the_python_client_finds(server) -> None:
    output = _run([_go(), "run", "./example", "-address", server.address], GO_CLIENT)
    assert output.splitlines() == _python_lines(server)


def _node_test(node: str, environment: dict[str, str]) -> None:
    output = _run([node, "--test", "--test-reporter=tap", "dist/test/"], TS_CLIENT, environment)
    counts = dict(re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)$", output, re.M))
    assert counts == {"pass": "2", "fail": "0", "skipped": "0", "cancelled": "0"}, output


def test_typescript_client_slices_by_utf16_unary_and_streamed(server, expected, node) -> None:
    _node_test(node, _environment(server, expected))


def test_typescript_client_calls_over_mutual_tls(mtls_server, expected, node) -> None:
    server, files = mtls_server
    _node_test(node, _environment(server, expected, files))


def test_typescript_example_prints_what_the_python_client_finds(server, node) -> None:
    output = _run([node, "dist/src/example.js", server.address], TS_CLIENT)
    assert output.splitlines() == _python_lines(server)


def test_go_and_typescript_stubs_are_current(tmp_path) -> None:
    buf = require_tool("buf")
    for plugin in PLUGINS:
        if not plugin.exists():
            unavailable(f"{plugin.relative_to(ROOT)} is not installed (make setup)")
    _run([buf, "generate", "--output", str(tmp_path)], ROOT)
    for path in GENERATED:
        fresh = (tmp_path / path).read_text()
        assert (ROOT / path).read_text() == fresh, f"{path} is stale: run `make protos`"


def _lowest_node(requirement: str) -> tuple[int, ...]:
    """The lowest Node version a `>=X.Y.Z` engines range admits."""
    found = re.fullmatch(r"\s*>=\s*v?(\d+(?:\.\d+)*)\s*", requirement)
    assert found is not None, f"an engines range this test does not read: {requirement!r}"
    return tuple(int(part) for part in found.group(1).split("."))


def test_typescript_packages_run_on_every_node_the_client_declares() -> None:
    """No locked package asks for a newer Node than clients/typescript/package.json declares, so
    `npm ci` on the oldest declared Node (20, this machine's) gives no EBADENGINE warning."""
    declared = _lowest_node(json.loads((TS_CLIENT / "package.json").read_text())["engines"]["node"])
    assert declared[:1] == (20,)
    locked = json.loads((TS_CLIENT / "package-lock.json").read_text())["packages"]
    wanted = {
        path: _lowest_node(entry["engines"]["node"])
        for path, entry in locked.items()
        if path and isinstance(entry.get("engines"), dict) and "node" in entry["engines"]
    }
    assert wanted, "the lockfile names no engines: it was not made by npm 7 or later"
    assert {path: version for path, version in wanted.items() if version > declared} == {}
