"""The docs' examples run as a reader types them, and their flag tables match the code.

A fenced block in README.md or docs/*.md whose first line is `# runs in make test` runs here:
a `sh` block as a bash script, a `python` block saved to a file and run with `python`. A block
whose first line is `# make test starts this server` holds one `ner-server` command, which this
test starts (tests/support.py ServerProcess, in the same working directory) for the blocks after
it in the same doc; a doc without one gets a plain `ner-server --workers 1`, standing for
`make run`. The docs write `localhost:50051`; every block gets the port its server was given
(port 0, a free one) in its place. A block that calls `localhost:8080`, where `make run` serves the
`ner-web` gateway, gets a gateway in front of that server (tests/gateway_support.py), on a free
port written in its place. These are the only substitutions.

Each block runs in a fresh `bash` with a clean environment: HOME is an empty temporary
directory, PATH the machine's without the project's venv and tools, and the README's own PATH
line runs first. Kept from the outer environment: the CA-bundle and proxy variables this
machine needs to reach the package registries, and the Go and npm caches (what `go mod tidy`
and `npm install` would fetch again otherwise). The working directory is a stand-in for the
repository's root: a temporary directory with a link to each of its top-level entries, so what
the blocks write stays out of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from scripts.flag_tables import TABLES, section
from tests.conftest import ROOT
from tests.gateway_support import GatewayProcess
from tests.support import ServerProcess

RUNS = "# runs in make test"
STARTS_SERVER = "# make test starts this server"
PLACEHOLDER = "localhost:50051"
GATEWAY_PLACEHOLDER = "localhost:8080"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PASSED_THROUGH = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "PIP_CERT",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
BLOCK_SECONDS = 280


@dataclass(frozen=True)
class Block:
    language: str
    body: str
    line: int

    @property
    def kind(self) -> str:
        return self.body.split("\n", 1)[0].strip()


def blocks(path: Path) -> list[Block]:
    """The blocks of a doc that this test runs or starts, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^```(\w*)[^\n]*\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
        block = Block(match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1)
        if block.kind in (RUNS, STARTS_SERVER):
            found.append(block)
    return found


def path_line() -> str:
    """The README's own line that puts the project's tools on PATH."""
    [line] = [
        line
        for block in blocks(ROOT / "README.md")
        for line in block.body.splitlines()
        if line.startswith("export PATH=")
    ]
    return line


TESTED_DOCS = [path for path in DOCS if any(block.kind == RUNS for block in blocks(path))]


def clean_environment(home: Path) -> dict[str, str]:
    outer_path = os.environ.get("PATH", "")
    kept_path = [
        entry
        for entry in outer_path.split(os.pathsep)
        if entry and "/.venv/" not in entry + "/" and "/.tools/" not in entry + "/" and str(ROOT) not in entry
    ]
    environment = {"HOME": str(home), "PATH": os.pathsep.join(kept_path), "LANG": "C.UTF-8"}
    environment.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    environment.update(_tool_caches())
    return environment


def _tool_caches() -> dict[str, str]:
    caches: dict[str, str] = {}
    if shutil.which("go"):
        names = ["GOMODCACHE", "GOCACHE", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY", "GOSUMDB"]
        values = subprocess.run(["go", "env", *names], capture_output=True, text=True, check=True).stdout
        caches.update({name: value for name, value in zip(names, values.splitlines(), strict=True) if value})
    caches["npm_config_cache"] = os.environ.get("npm_config_cache", str(Path.home() / ".npm"))
    return caches


def repository_stand_in(directory: Path) -> Path:
    directory.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in (".git", "build"):
            (directory / entry.name).symlink_to(entry)
    return directory


def start_server(command: str, cwd: Path) -> ServerProcess:
    """Start what a doc's server block says, on a free port, and wait until it serves."""
    words = shlex.split(command.replace("\\\n", " "), comments=True)
    assert words[0] == "ner-server", f"a server block holds one ner-server command, not {command!r}"
    args = words[1:]
    if "--port" in args:
        at = args.index("--port")
        del args[at : at + 2]
    server = ServerProcess(args, credentials=_health_credentials(args, cwd), cwd=cwd)
    server.wait_serving()
    return server


def _health_credentials(args: list[str], cwd: Path) -> grpc.ChannelCredentials | None:
    if "--tls-cert" not in args:
        return None
    if "--tls-client-ca" in args:
        return grpc.ssl_channel_credentials(
            (cwd / "ca.pem").read_bytes(),
            (cwd / "client.key").read_bytes(),
            (cwd / "client.pem").read_bytes(),
        )
    return grpc.ssl_channel_credentials((cwd / "ca.pem").read_bytes())


@dataclass
class Ran:
    block: Block
    output: str


def run_doc(path: Path, tmp_path: Path) -> Iterator[Ran]:
    """Run a doc's blocks in order; yield each block's output once it has passed."""
    cwd = repository_stand_in(tmp_path / "repository")
    home = tmp_path / "home"
    home.mkdir()
    environment = clean_environment(home)
    server: ServerProcess | None = None
    gateway: GatewayProcess | None = None
    try:
        for number, block in enumerate(blocks(path)):
            if block.kind == STARTS_SERVER:
                if server is not None:
                    server.stop()
                server = start_server(block.body.split("\n", 1)[1], cwd)
                continue
            if server is None:
                server = start_server("ner-server --workers 1", cwd)
            body = block.body.replace(PLACEHOLDER, f"localhost:{server.port}")
            if GATEWAY_PLACEHOLDER in body:
                gateway = gateway or GatewayProcess(server.address)
                body = body.replace(GATEWAY_PLACEHOLDER, f"localhost:{gateway.port}")
            if block.language == "python":
                script = cwd / f".doc-block-{number}.py"
                script.write_text(body, encoding="utf-8")
                body = f"python {script.name}"
            completed = subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", f"{path_line()}\n{body}"],
                cwd=cwd,
                env=environment,
                capture_output=True,
                text=True,
                timeout=BLOCK_SECONDS,
            )
            where = f"{path.relative_to(ROOT)}:{block.line}"
            assert completed.returncode == 0, (
                f"{where} exited {completed.returncode}\n{completed.stdout}\n{completed.stderr}"
            )
            assert "Traceback" not in completed.stderr, f"{where}\n{completed.stderr}"
            yield Ran(block, completed.stdout)
    finally:
        if gateway is not None:
            gateway.stop()
        if server is not None:
            server.stop()


def _tagged_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def _check_bulk(cwd: Path) -> None:
    assert _tagged_ids(cwd / "tagged.jsonl") == [f"doc-{number}" for number in range(300)]


def _check_tls(cwd: Path) -> None:
    for name in ("tls-tagged.jsonl", "mtls-tagged.jsonl"):
        [line] = (cwd / name).read_text(encoding="utf-8").splitlines()
        assert [entity["text"] for entity in json.loads(line)["entities"]] == ["Kyoto", "Japan"]


#: What each doc's blocks must print between them, and what they must leave behind.
EXPECTED_OUTPUT: dict[str, list[str]] = {
    "README.md": [
        '"label": "PERSON"',
        '"start_char": 25',
        "PERSON Ada Lovelace 0 12",
        "GPE London 25 31",
        "True [(",
    ],
    "clients.md": [
        "ner.v1.NerService",
        "PERSON Ada Lovelace 0 12",
        "1 ['Nelson Mandela', '1918']",
        "StatusCode.INVALID_ARGUMENT text: must not be empty",
        '"status": "SERVING"',
        "text\tPERSON\tAda Lovelace",
    ],
    "bulk.md": ['"id": "doc-0"', "300", "r2 ['Nelson Mandela', '1918']", "r2 ['Nelson Mandela']"],
    "own-pipeline.md": ['"labels": [', '"GPE"', '"PERSON"'],
    "tls.md": ["ner.v1.NerService", "Ada Lovelace", "Count:"],
    "operations.md": [
        '"status": "SERVING"',
        "NER_WORKERS='two': expected a whole number, at least 1",
        "exit status 2",
    ],
    "gateway.md": ['"label":"PERSON"', '"text":"London"'],
    "benchmarks.md": ["Count:\t2000", "[OK]   2000 responses"],
}
LEFT_BEHIND: dict[str, Callable[[Path], None]] = {"bulk.md": _check_bulk, "tls.md": _check_tls}
#: The own-project recipes' last lines print each entity as "LABEL text".
RECIPES_PRINT = "PERSON Ada Lovelace\nGPE London\nDATE 1815\n"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", TESTED_DOCS, ids=[path.name for path in TESTED_DOCS])
def test_doc_blocks_run_as_written_against_a_real_server(path: Path, tmp_path: Path) -> None:
    outputs = [ran for ran in run_doc(path, tmp_path)]
    printed = "\n".join(ran.output for ran in outputs)
    for expected in EXPECTED_OUTPUT[path.name]:
        assert expected in printed, f"{path.name}: {expected!r} not printed"
    check = LEFT_BEHIND.get(path.name)
    if check:
        check(tmp_path / "repository")
    if path.name == "clients.md":
        recipes = [ran.output for ran in outputs if "~/ner-demo-" in ran.block.body]
        assert len(recipes) == 2
        assert all(output.endswith(RECIPES_PRINT) for output in recipes), recipes


def test_every_doc_with_examples_is_run_and_checked() -> None:
    assert {path.name for path in TESTED_DOCS} == set(EXPECTED_OUTPUT)


def test_typescript_recipe_installs_the_versions_the_repository_uses() -> None:
    package = json.loads((ROOT / "clients/typescript/package.json").read_text())
    pinned = {**package["dependencies"], **package["devDependencies"]}
    text = (ROOT / "docs/clients.md").read_text(encoding="utf-8")
    installed = dict(
        re.findall(r"(@?[a-z][\w./-]*)@(\d[\w.-]*)", text.split("## TypeScript from your own project")[1])
    )
    assert installed, "the recipe names no versions"
    for name, version in installed.items():
        assert pinned[name].split(".")[0] == version.split(".")[0], name
        if version.count(".") == 2:
            assert pinned[name] == version, name


@pytest.mark.parametrize("name", sorted(TABLES))
def test_flag_tables_in_the_docs_are_what_the_code_makes(name: str) -> None:
    found = [path for path in DOCS if section(path.read_text(encoding="utf-8"), name) is not None]
    assert found, f"no doc holds the {name} table"
    for path in found:
        assert section(path.read_text(encoding="utf-8"), name) == TABLES[name](), (
            f"{path.relative_to(ROOT)}: the {name} table is stale; run `make docs`"
        )


@pytest.mark.parametrize("name", sorted(TABLES))
def test_flag_tables_list_every_flag_of_help(name: str) -> None:
    command = Path(sys.executable).parent / name
    completed = subprocess.run([command, "--help"], capture_output=True, text=True, check=True)
    in_help = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", completed.stdout)) - {"--help"}
    in_table = set(re.findall(r"`(--[a-z][a-z-]+)`", TABLES[name]()))
    assert in_help <= in_table, f"{name} --help has flags the docs lack: {sorted(in_help - in_table)}"


def test_docs_name_files_and_modules_that_exist() -> None:
    """A file or module a doc names in code (`tests/certs.py`, `python -m tests.certs`) exists,
    so that moving one shows here."""
    missing = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(
            r"`((?:server|client|tests|bench|scripts|deploy|clients|protos)/[^`\s<>*]+)`", text
        ):
            if not (ROOT / name).exists():
                missing.append(f"{path.name}: {name}")
        for module in re.findall(r"python3? -m ((?:bench|tests|scripts|ner_server|ner_client)[\w.]*)", text):
            if not _module_exists(module):
                missing.append(f"{path.name}: python -m {module}")
    assert not missing, missing


def _module_exists(module: str) -> bool:
    relative = module.replace(".", "/")
    return any(
        (ROOT / base / f"{relative}.py").exists() or (ROOT / base / relative / "__main__.py").exists()
        for base in (".", "server", "client")
    )
