"""The code stays ruff-clean and ruff-formatted, and the shipped packages pass mypy --strict
(the settings live in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PATHS = ["server", "client", "tests", "scripts", "bench"]


def test_ruff_check_passes() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout


def test_ruff_format_has_no_diff() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout


def test_mypy_strict_passes_on_the_shipped_packages() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "server", "client"], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout
