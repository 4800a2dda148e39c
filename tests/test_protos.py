"""The contract stays clean: buf lint, buf format, buf breaking, and generated code is current."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, require_tool

GENERATED = ROOT / "client" / "ner_client" / "proto"


def buf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("buf"), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_buf_lint_passes() -> None:
    completed = buf("lint")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_buf_format_has_no_diff() -> None:
    completed = buf("format", "--diff", "--exit-code")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_buf_breaking_against_previous_main_passes() -> None:
    against = _breaking_baseline()
    completed = buf("breaking", "--against", against)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_generated_code_is_current(tmp_path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_protos.py"), str(tmp_path)], check=True)
    for fresh in sorted(tmp_path.iterdir()):
        committed = GENERATED / fresh.name
        assert committed.read_text() == fresh.read_text(), f"{committed} is stale: run `make protos`"


def test_generated_connect_module_is_current(tmp_path) -> None:
    require_tool("buf")
    script = ROOT / "scripts" / "generate_connect.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, cwd=ROOT, timeout=120)
    committed = GENERATED / "ner_connect.py"
    assert committed.read_text() == (tmp_path / "ner_connect.py").read_text(), (
        f"{committed} is stale: run `make protos`"
    )


def _breaking_baseline() -> str:
    """main when on another branch; on main itself, its previous commit (or itself on the first)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch != "main" and git("rev-parse", "--verify", "--quiet", "main"):
        return ".git#branch=main"
    previous = git("rev-parse", "--verify", "--quiet", "HEAD~1")
    return f".git#ref={previous or 'HEAD'}"
