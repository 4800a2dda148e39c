"""A user's pipeline to benchmark: en_core_web_md with an entity_ruler before its ner.

The ruler holds the tests' company and product patterns and `--patterns` made-up company names
(phrase patterns), as a user's list of their own customers or products would.

    .venv/bin/python -m bench.standalone.ruler_pipeline OUT_DIR [--patterns 1000]
    .venv/bin/python -m bench.suite.run --parts ceiling,service --model OUT_DIR

Backs docs/benchmarks.md, "Your own pipeline" (the column "with the ruler before its ner").
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tests.own_pipelines import COMPANY_PATTERNS, en_core_web_md_with_ruler

SYLLABLES = ("bram", "quil", "dor", "vex", "tal", "mir", "sen", "ko", "ra", "lun", "fen", "zo")


def made_up_names(count: int) -> list[str]:
    """`count` distinct company names from SYLLABLES, e.g. "Bramdor Holdings"."""
    suffixes = ("Holdings", "Labs", "Freight", "Systems")
    names = []
    for index in range(count):
        first = SYLLABLES[index % len(SYLLABLES)]
        second = SYLLABLES[(index // len(SYLLABLES)) % len(SYLLABLES)]
        third = SYLLABLES[(index // len(SYLLABLES) ** 2) % len(SYLLABLES)]
        suffix = suffixes[(index // len(SYLLABLES) ** 3) % len(suffixes)]
        names.append(f"{(first + second + third).capitalize()} {suffix}")
    return names


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--patterns", type=int, default=1000, help="made-up company names in the ruler")
    args = parser.parse_args(argv)
    patterns = [
        *COMPANY_PATTERNS,
        *({"label": "ORG", "pattern": name} for name in made_up_names(args.patterns)),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    print(en_core_web_md_with_ruler(args.out, "before", patterns))


if __name__ == "__main__":
    main()
