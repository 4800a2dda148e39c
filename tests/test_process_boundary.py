"""The process boundary holds. In the code: `lint-imports` keeps the contracts of
[tool.importlinter] in pyproject.toml (the model processes import no gRPC and nothing of the front;
the front imports nothing of them; ner_server.shared imports neither side). And in the running
server, where a package's `__init__` runs too: gRPC's C core is mapped into the front process, and
into neither the fork server nor a worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.support import ServerProcess

LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")

#: A contract the code breaks (the front serves gRPC), to show that the checker sees imports.
BROKEN_CONTRACT = """
[tool.importlinter]
root_packages = ["ner_server", "ner_client"]
include_external_packages = true

[[tool.importlinter.contracts]]
name = "The front never imports gRPC"
type = "forbidden"
source_modules = ["ner_server.front"]
forbidden_modules = ["grpc"]
"""


def lint_imports(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", *flags], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_import_contracts_are_kept() -> None:
    completed = lint_imports()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert " 0 broken" in completed.stdout, completed.stdout


def test_a_broken_import_contract_fails(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text(BROKEN_CONTRACT)
    completed = lint_imports("--config", str(config))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "0 kept, 1 broken" in completed.stdout, completed.stdout
    assert "ner_server.front.server -> grpc" in completed.stdout, completed.stdout


def mapped_files(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as handle:
        return handle.read()


def test_grpc_is_mapped_in_the_front_and_in_no_model_process(server: ServerProcess) -> None:
    fork_server = server.fork_server_pid()
    workers = server.worker_pids()
    assert len(workers) == 2
    assert "cygrpc" in mapped_files(server.pid)
    for pid in (fork_server, *workers):
        maps = mapped_files(pid)
        assert "spacy" in maps, pid  # the model's process indeed, its maps read
        assert "cygrpc" not in maps, pid
