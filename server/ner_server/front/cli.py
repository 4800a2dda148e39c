"""`ner-server`: flags and environment variables to Settings, then serve."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import fields

from ner_server.front.server import serve
from ner_server.front.settings import Settings
from ner_server.front.tracing import trace_fields
from ner_server.pool import ModelLoadFailed
from ner_server.shared.logs import configure_logging

log = logging.getLogger("ner_server")


def parse_settings(argv: Sequence[str] | None = None) -> Settings:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="ner-server",
        description="Named-entity recognition over gRPC (ner.v1.NerService). "
        "Every flag can also be set by the environment variable NER_<FLAG> (for example NER_WORKERS).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    repeated: dict[str, tuple[str, ...]] = {}
    for item in fields(Settings):
        env_name = "PORT" if item.name == "port" else f"NER_{item.name.upper()}"
        default = getattr(defaults, item.name)
        env_value = os.environ.get(env_name) or (os.environ.get("NER_PORT") if item.name == "port" else None)
        flag = f"--{item.name.replace('_', '-')}"
        help_text = f"{item.metadata['help']} [env {env_name}]"
        if isinstance(default, tuple):
            from_env = tuple(part for part in (env_value or "").split(os.pathsep) if part)
            parser.add_argument(flag, action="append", default=None, help=help_text)
            repeated[item.name] = from_env or default
            continue
        kind = _parse_bool if isinstance(default, bool) else type(default)
        parser.add_argument(
            flag,
            type=kind,
            default=kind(env_value) if env_value else default,
            choices=item.metadata["choices"],
            help=help_text,
        )
    parsed = vars(parser.parse_args(argv))
    for name, fallback in repeated.items():
        parsed[name] = tuple(parsed[name]) if parsed[name] is not None else fallback
    settings = Settings(**parsed)
    if settings.workers < 1:
        parser.error("--workers must be at least 1")
    problem = settings.tls_problem()
    if problem:
        parser.error(problem)
    return settings


def _parse_bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {value!r}")


def main(argv: Sequence[str] | None = None) -> None:
    settings = parse_settings(argv)
    configure_logging(settings.log_level, trace_fields)
    try:
        asyncio.run(serve(settings))
    except ModelLoadFailed as error:
        log.error("could not start: %s", error)
        sys.exit(2)
    except OSError as error:
        log.error("could not start: %s", error)
        sys.exit(2)
