"""`ner-web`: flags and `NER_WEB_*` / `PORT` variables to GatewaySettings, every value checked,
then serve. A bad value exits with status 2 and one line that names the flag or variable."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from ner_client._channel import parse_target
from ner_client.web.settings import GatewaySettings

EXIT_USAGE = 2
LOG_LEVELS = ("debug", "info", "warning", "error")
DESCRIPTION = """\
An HTTP gateway to ner.v1.NerService: the Connect protocol (JSON and binary) and gRPC-Web on one
port, at the gRPC paths (POST /ner.v1.NerService/ExtractEntities with {"text": "..."}), and a page
to try the service on at /. Every flag can also be set by the environment variable
NER_WEB_<FLAG> (for example NER_WEB_TARGET); the port also by PORT, as on Cloud Run."""


class BadSetting(ValueError):
    """A flag or variable whose value cannot be used; the message names it."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(message)


def fail(message: str) -> NoReturn:
    print(f"ner-web: error: {message}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def parser() -> argparse.ArgumentParser:
    p = _OneLineParser(prog="ner-web", description=DESCRIPTION)
    for item in fields(GatewaySettings):
        flag = "--" + item.name.replace("_", "-")
        help_text = f"{item.metadata['help']} [env {env_names(item.name)[0]}]"
        if isinstance(item.default, bool):
            p.add_argument(flag, action="store_true", default=None, help=help_text)
        elif item.name == "allowed_origins":
            p.add_argument("--allowed-origin", dest=item.name, action="append", help=help_text)
        else:
            p.add_argument(flag, default=None, help=f"{help_text} (default: {item.default})")
    return p


def env_names(name: str) -> tuple[str, ...]:
    own = f"NER_WEB_{name.upper()}"
    return ("PORT", own) if name == "port" else (own,)


def parse_settings(
    argv: Sequence[str] | None = None, environ: dict[str, str] | None = None
) -> GatewaySettings:
    """Settings from flags, then the environment, then the defaults; raises BadSetting."""
    env = os.environ if environ is None else environ
    given = vars(parser().parse_args(argv))
    values: dict[str, Any] = {}
    for item in fields(GatewaySettings):
        raw, source = given[item.name], "--" + item.name.replace("_", "-")
        if raw is None:
            for name in env_names(item.name):
                if env.get(name):
                    raw, source = env[name], name
                    break
        if raw is None:
            continue
        check = CHECKS[item.name]
        try:
            values[item.name] = check(raw)
        except (ValueError, TypeError) as error:
            if item.name == "allowed_origins":
                source = "--allowed-origin" if source.startswith("--") else source
            raise BadSetting(f"{source}: {error}") from None
    settings = GatewaySettings(**values)
    _check_together(settings)
    return settings


def _check_together(settings: GatewaySettings) -> None:
    if not settings.target:
        raise BadSetting("--target (or NER_WEB_TARGET) is required: the gRPC service's host:port")
    if (settings.cert_file == "") != (settings.key_file == ""):
        raise BadSetting("--cert-file and --key-file go together: a certificate needs its key")
    tls = settings.tls or settings.tls_files.given or parse_target(settings.target).tls
    if settings.id_token:
        if not tls:
            raise BadSetting("--id-token needs a TLS target (https://NAME.run.app, or --tls)")
        try:
            import google.auth  # noqa: F401
        except ImportError:
            raise BadSetting("--id-token needs google-auth: pip install 'ner-grpc-client[auth]'") from None


def _boolean(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, not {value!r}")


def _integer(low: int, high: int | None = None) -> Callable[[str], int]:
    def check(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"expected a whole number, not {value!r}") from None
        if number < low or (high is not None and number > high):
            limits = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be {limits}, not {number}")
        return number

    return check


def _seconds(low: float, *, inclusive: bool) -> Callable[[str], float]:
    def check(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number of seconds, not {value!r}") from None
        if not math.isfinite(number) or number < low or (number == low and not inclusive):
            raise ValueError(f"must be {'at least' if inclusive else 'more than'} {low:g}, not {value}")
        return number

    return check


def _target(value: str) -> str:
    where = parse_target(value.strip()).address
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port or https://NAME.run.app, not {value!r}")
    return value.strip()


def _readable_file(value: str) -> str:
    path = Path(value)
    if not path.is_file():
        raise ValueError(f"no such file: {value}")
    try:
        path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {value}: {error.strerror}") from None
    return value


def _origins(value: str | list[str]) -> tuple[str, ...]:
    parts = value if isinstance(value, list) else value.split(",")
    origins = tuple(part.strip().rstrip("/") for group in parts for part in group.split(",") if part.strip())
    for origin in origins:
        if origin == "*":
            continue
        pieces = urlsplit(origin)
        if pieces.scheme not in ("http", "https") or not pieces.hostname or pieces.path or pieces.query:
            raise ValueError(f"an origin is scheme://host[:port] (or *), not {origin!r}")
        try:
            pieces.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError(f"bad port in origin {origin!r}") from None
    return origins


def _log_level(value: str) -> str:
    if value.lower() not in LOG_LEVELS:
        raise ValueError(f"one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return value.lower()


def _host(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


CHECKS: dict[str, Callable[[Any], Any]] = {
    "target": _target,
    "tls": _boolean,
    "ca_file": _readable_file,
    "cert_file": _readable_file,
    "key_file": _readable_file,
    "id_token": _boolean,
    "h2c": _boolean,
    "host": _host,
    "port": _integer(0, 65535),
    "allowed_origins": _origins,
    "max_body_bytes": _integer(1),
    "max_calls": _integer(1),
    "default_timeout": _seconds(0, inclusive=False),
    "grace": _seconds(0, inclusive=True),
    "log_level": _log_level,
}


def main(argv: Sequence[str] | None = None) -> None:
    try:
        settings = parse_settings(argv)
    except BadSetting as error:
        fail(str(error))
    from ner_client.web.serve import serve

    sys.exit(asyncio.run(serve(settings)))
