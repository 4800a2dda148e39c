"""JSON-lines logging on stdout, in the shape Cloud Logging reads (`severity`, `message`): the one
format of the server's processes (front and model processes alike) and of the `ner-web` gateway,
whose HTTP servers' loggers go through the same handler. Imports no gRPC."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ContextFields", "JsonFormatter", "configure_logging"]

#: Fields a line gets from where it is logged (the front adds the trace of the call being handled).
ContextFields = Callable[[], Mapping[str, str]]

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per record; `extra=` fields become top-level keys."""

    def __init__(self, context_fields: ContextFields | None = None) -> None:
        super().__init__()
        self._context_fields = context_fields

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "logger": record.name,
        }
        # uvicorn adds a terminal-coloured copy of its message as `color_message`: left out.
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key != "color_message":
                entry[key] = value
        if self._context_fields is not None:
            entry.update(self._context_fields())
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, context_fields: ContextFields | None = None) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(context_fields))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
