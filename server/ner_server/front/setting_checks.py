"""What each kind of setting accepts: the text of a flag or an environment variable in, its value
out, or `NotAllowed` saying what would be. `Settings` gives every field one of these, so a flag and
its variable are checked by the same code."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Check", "Choice", "NotAllowed", "Number", "PathList", "ReadableFile", "Switch", "Text", "Whole"]


class NotAllowed(ValueError):
    """A setting's text that its check refuses; `allowed` says what the check takes."""

    def __init__(self, allowed: str) -> None:
        super().__init__(allowed)
        self.allowed = allowed


class Check(Protocol):
    """Turns a setting's text into its value."""

    @property
    def allowed(self) -> str:
        """What the check takes, as in "expected <allowed>"."""
        ...

    def parse(self, text: str) -> Any: ...


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f", at least {minimum:g}"
    return ""


@dataclass(frozen=True)
class Whole:
    """A whole number, within bounds."""

    minimum: int | None = None
    maximum: int | None = None

    @property
    def allowed(self) -> str:
        return f"a whole number{_bounds(self.minimum, self.maximum)}"

    def parse(self, text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            raise NotAllowed(self.allowed) from None
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise NotAllowed(self.allowed)
        return number


@dataclass(frozen=True)
class Number:
    """A finite number (seconds, for instance), at least `minimum`."""

    unit: str
    minimum: float = 0.0

    @property
    def allowed(self) -> str:
        return f"a number of {self.unit}{_bounds(self.minimum, None)}"

    def parse(self, text: str) -> float:
        try:
            number = float(text.strip())
        except ValueError:
            raise NotAllowed(self.allowed) from None
        if not math.isfinite(number) or number < self.minimum:
            raise NotAllowed(self.allowed)
        return number


@dataclass(frozen=True)
class Choice:
    """One of a few words; `upper` takes any case and gives the word in capitals."""

    values: tuple[str, ...]
    upper: bool = False

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(self.values)

    def parse(self, text: str) -> str:
        word = text.strip().upper() if self.upper else text.strip()
        if word not in self.values:
            raise NotAllowed(self.allowed)
        return word


@dataclass(frozen=True)
class Switch:
    """On or off."""

    allowed: str = "true or false (also 1 or 0, yes or no, on or off)"

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise NotAllowed(self.allowed)


@dataclass(frozen=True)
class Text:
    """Any text that is not blank."""

    allowed: str = "a value that is not blank"

    def parse(self, text: str) -> str:
        if not text.strip():
            raise NotAllowed(self.allowed)
        return text


@dataclass(frozen=True)
class ReadableFile:
    """The path of a file this process can read; empty for none where `optional`."""

    optional: bool = True

    @property
    def allowed(self) -> str:
        return "the path of a readable file" + (" (or nothing)" if self.optional else "")

    def parse(self, text: str) -> str:
        if not text and self.optional:
            return ""
        if not (os.path.isfile(text) and os.access(text, os.R_OK)):
            raise NotAllowed(self.allowed)
        return text


@dataclass(frozen=True)
class PathList:
    """Paths of readable files, separated by ':' in an environment variable."""

    allowed: str = "paths of readable files, separated by ':'"

    def parse(self, text: str) -> tuple[str, ...]:
        paths = tuple(part for part in text.split(os.pathsep) if part)
        each = ReadableFile(optional=False)
        for path in paths:
            try:
                each.parse(path)
            except NotAllowed:
                raise NotAllowed(f"{self.allowed} ({path} is not one)") from None
        return paths
