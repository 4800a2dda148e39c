"""The checks behind `ner-tag`'s flags: each turns the text typed into a value, or says what is allowed.

argparse turns an `ArgumentTypeError` into a usage error that names the flag (exit status 2).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def count(least: int) -> Callable[[str], int]:
    """A whole number of at least `least`."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number of at least {least}, not {value!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"a whole number of at least {least}, not {number}")
        return number

    parse.__name__ = "count"
    return parse


def seconds(*, zero: bool, forever: bool) -> Callable[[str], float]:
    """Seconds: above 0 (or 0 and above, with `zero`), and `inf` only with `forever`."""
    allowed = ("0 or more" if zero else "more than 0") + (" (inf is never)" if forever else "")

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"seconds, {allowed}, not {value!r}") from None
        too_small = number < 0 or (number == 0 and not zero)
        if math.isnan(number) or too_small or (math.isinf(number) and not forever):
            raise argparse.ArgumentTypeError(f"seconds, {allowed}, not {value!r}")
        return number

    parse.__name__ = "seconds"
    return parse


def shard(value: str) -> tuple[int, int]:
    """K/N: the K-th of N parts, 1 <= K <= N."""
    number, _, parts = value.partition("/")
    try:
        part = int(number), int(parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"K/N, such as 1/4, not {value!r}") from None
    if not 1 <= part[0] <= part[1]:
        raise argparse.ArgumentTypeError(f"K/N with 1 <= K <= N, not {value!r}")
    return part
