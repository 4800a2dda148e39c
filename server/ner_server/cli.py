"""`ner-server`: flags and environment variables to Settings, then serve."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import fields

from ner_server.logs import configure_logging
from ner_server.pool import ModelLoadFailed
from ner_server.server import serve
from ner_server.settings import Settings

log = logging.getLogger("ner_server")


def parse_settings(argv: Sequence[str] | None = None) -> Settings:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="ner-server",
        description="Named-entity recognition over gRPC (ner.v1.NerService). "
        "Every flag can also be set by the environment variable NER_<FLAG> (for example NER_WORKERS).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for item in fields(Settings):
        env_name = "PORT" if item.name == "port" else f"NER_{item.name.upper()}"
        default = getattr(defaults, item.name)
        kind = _parse_bool if isinstance(default, bool) else type(default)
        env_value = os.environ.get(env_name) or (os.environ.get("NER_PORT") if item.name == "port" else None)
        parser.add_argument(
            f"--{item.name.replace('_', '-')}",
            type=kind,
            default=kind(env_value) if env_value else default,
            choices=item.metadata["choices"],
            help=f"{item.metadata['help']} [env {env_name}]",
        )
    settings = Settings(**vars(parser.parse_args(argv)))
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
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except ModelLoadFailed as error:
        log.error("could not start: %s", error)
        sys.exit(2)
    except OSError as error:
        log.error("could not start: %s", error)
        sys.exit(2)
