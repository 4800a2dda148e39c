"""Where a run's results go: a new folder under bench/results/, never one written before.

Each run gets a folder named by the UTC minute it started and what it measured, such as
`bench/results/2026-12-02T0746-full-run/`; the docs link the folder whose figures they quote.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.corpus import ROOT

RESULTS = ROOT / "bench" / "results"


def new_folder(kind: str, parent: Path = RESULTS) -> Path:
    """A new, empty folder `parent/<YYYY-MM-DDTHHMM>-<kind>` (with `-2`, `-3`... after a name taken)."""
    stem = f"{time.strftime('%Y-%m-%dT%H%M', time.gmtime())}-{kind}"
    parent.mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        folder = parent / (stem if number == 1 else f"{stem}-{number}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"no free folder name for {stem} under {parent}")
