"""Memory of a process tree: RSS and PSS summed over a process and all its descendants.

Read from `/proc/PID/smaps_rollup`; PSS splits each shared page between the processes that
map it, so the sum over a pre-forked server counts the shared model once.

Backs docs/benchmarks.md: every RSS and PSS figure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeMemory:
    processes: int
    rss_mib: float
    pss_mib: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, parents first."""
    found = [pid]
    for parent in found:
        for task in _tasks(parent):
            try:
                children = (Path("/proc") / str(parent) / "task" / task / "children").read_text().split()
            except OSError:
                continue
            found.extend(int(child) for child in children if int(child) not in found)
    return found


def tree_memory(pid: int) -> TreeMemory:
    """RSS and PSS, in MiB, summed over `pid` and its descendants (processes that vanish are skipped)."""
    rss_kib = pss_kib = 0
    counted = 0
    for member in descendants(pid):
        fields = _rollup(member)
        if fields:
            counted += 1
            rss_kib += fields.get("Rss", 0)
            pss_kib += fields.get("Pss", 0)
    return TreeMemory(counted, round(rss_kib / 1024, 1), round(pss_kib / 1024, 1))


def process_memory(pid: int) -> TreeMemory:
    """RSS and PSS, in MiB, of `pid` alone, not its children (zero when it is gone)."""
    fields = _rollup(pid)
    rss_kib, pss_kib = fields.get("Rss", 0), fields.get("Pss", 0)
    return TreeMemory(1 if fields else 0, round(rss_kib / 1024, 1), round(pss_kib / 1024, 1))


def _tasks(pid: int) -> list[str]:
    try:
        return [entry.name for entry in (Path("/proc") / str(pid) / "task").iterdir()]
    except OSError:
        return []


def _rollup(pid: int) -> dict[str, int]:
    try:
        text = (Path("/proc") / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        value = rest.split()
        if value and value[0].isdigit():
            fields[name.strip()] = int(value[0])
    return fields
