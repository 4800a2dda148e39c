"""`ner-server`: flags and environment variables to Settings, then serve."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, NoReturn

from ner_client.json_logs import configure_logging

from ner_server.front.core_stderr import Capture
from ner_server.front.environment import unknown_variables, variable_names
from ner_server.front.server import serve
from ner_server.front.setting_checks import Check, Choice, NotAllowed, Text
from ner_server.front.settings import Settings
from ner_server.front.tracing import trace_fields
from ner_server.pool import ModelLoadFailed

log = logging.getLogger("ner_server")


class BadSettings(Exception):
    """Settings the server cannot start with; `fields` go into the ERROR line."""

    def __init__(self, message: str, **fields: str) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class _Parser(argparse.ArgumentParser):
    """Raises what it would print, so that a usage error is one JSON line too."""

    def error(self, message: str) -> NoReturn:
        raise BadSettings(f"{message} (ner-server --help lists the flags)")


def _flag(name: str) -> str:
    return f"--{name.replace('_', '-')}"


def _parser(defaults: Settings) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ner-server",
        description="Named-entity recognition over gRPC (ner.v1.NerService). Every flag can also be "
        "set by the environment variable NER_<FLAG> (for example NER_WORKERS); the port by PORT. "
        "A value a flag or variable does not allow stops the server before it starts, with exit "
        "status 2 and one ERROR line.",
    )
    for item in fields(Settings):
        check: Check = item.metadata["check"]
        default = getattr(defaults, item.name)
        shown = (":".join(default) or "none") if isinstance(default, tuple) else default
        allowed = "" if isinstance(check, (Choice, Text)) else f"; {check.allowed}"
        variables = " or ".join(variable_names(item.name))
        help_text = f"{item.metadata['help']}{allowed} [env {variables}] (default: {shown})".replace(
            "%", "%%"
        )
        metavar = "{" + ",".join(check.values) + "}" if isinstance(check, Choice) else None
        action = "append" if isinstance(default, tuple) else "store"
        parser.add_argument(_flag(item.name), action=action, metavar=metavar, help=help_text)
    return parser


def _checked(check: Check, text: str, source: str) -> Any:
    """`text` through `check`; `source` is the flag (`--workers`) or the variable it came from."""
    try:
        return check.parse(text)
    except NotAllowed as refused:
        flag = source.startswith("--")
        shown = f"{source} {text!r}" if flag else f"{source}={text!r}"
        raise BadSettings(
            f"{shown}: expected {refused.allowed}",
            **{"flag" if flag else "variable": source, "value": text, "allowed": refused.allowed},
        ) from None


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from flags, else environment variables, else the defaults, each value checked by
    its field's check. Raises BadSettings, naming the flag or variable, its value and what it allows."""
    environ = os.environ if environ is None else environ
    defaults = Settings()
    given = vars(_parser(defaults).parse_args(argv))
    values: dict[str, Any] = {}
    for item in fields(Settings):
        check: Check = item.metadata["check"]
        flagged = given[item.name]
        if isinstance(flagged, list):  # a repeated flag (--code): each value a list of its own
            values[item.name] = tuple(
                part for text in flagged for part in _checked(check, text, _flag(item.name))
            )
        elif flagged is not None:
            values[item.name] = _checked(check, flagged, _flag(item.name))
        else:
            for name in variable_names(item.name):
                if environ.get(name):
                    values[item.name] = _checked(check, environ[name], name)
                    break
    settings = dataclasses.replace(defaults, **values)
    problem = settings.tls_problem()
    if problem:
        raise BadSettings(problem)
    return settings


def main(argv: Sequence[str] | None = None) -> None:
    configure_logging("INFO", trace_fields)
    try:
        stderr: Capture | None = Capture()
    except OSError as error:  # no descriptor 2 to replace (started with it closed)
        log.warning("gRPC core's stderr is not captured: %s", error)
        stderr = None
    try:
        _run(argv)
    except Exception:
        log.exception("crashed")
        sys.exit(1)
    finally:
        if stderr is not None:
            stderr.stop()


def _run(argv: Sequence[str] | None) -> None:
    try:
        settings = parse_settings(argv)
    except BadSettings as error:
        log.error(error.message, extra=error.fields)
        sys.exit(2)
    configure_logging(settings.log_level, trace_fields)
    for name, resembles in unknown_variables(os.environ, (item.name for item in fields(Settings))):
        log.warning(
            f"{name} is not a setting of ner-server" + (f": did you mean {resembles}?" if resembles else ""),
            extra={"variable": name},
        )
    try:
        asyncio.run(serve(settings))
    except (ModelLoadFailed, OSError) as error:
        log.error("could not start: %s", error)
        sys.exit(2)
