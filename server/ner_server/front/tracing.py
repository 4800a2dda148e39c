"""Trace correlation for the log: which call a log line was written for.

A call may carry `x-cloud-trace-context: TRACE_ID/SPAN_ID;o=1` (Cloud Run's front end adds it)
or W3C `traceparent: 00-TRACE_ID-SPAN_ID-FLAGS`. While a call is handled `current_call` holds its
context; only when a line is logged is its metadata read, and `trace_fields` adds
`projects/$GOOGLE_CLOUD_PROJECT/traces/TRACE_ID` to it as `logging.googleapis.com/trace`, the field Cloud
Logging uses to show a request's log lines under it. Without `GOOGLE_CLOUD_PROJECT` no trace field
is written (Cloud Run does not set it; deploy/service.yaml does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

__all__ = ["TRACE_FIELD", "current_call", "current_trace", "trace_fields", "trace_id"]

TRACE_FIELD = "logging.googleapis.com/trace"

#: The servicer context of the call being handled; each call runs in its own asyncio task, so a
#: value set there is seen by that call's log lines only.
current_call: ContextVar[Any] = ContextVar("current_call", default=None)

_PROJECT = os.environ.get("GOOGLE_CLOUD_PROJECT") or None
_CLOUD_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/|$)")
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_NO_TRACE = "0" * 32


def trace_id(metadata: Sequence[tuple[str, str | bytes]] | None) -> str | None:
    """The 32-hex-digit trace id of `x-cloud-trace-context`, else of `traceparent`, else None."""
    values = {key: value for key, value in metadata or () if isinstance(value, str)}
    for header, pattern in (("x-cloud-trace-context", _CLOUD_TRACE), ("traceparent", _TRACEPARENT)):
        match = pattern.match(values.get(header, "").strip())
        if match and match.group(1) != _NO_TRACE:
            return match.group(1).lower()
    return None


def current_trace() -> str | None:
    """The trace resource name of the call being handled, if it has one and a project is set."""
    context = current_call.get()
    if context is None or _PROJECT is None:
        return None
    found = trace_id(context.invocation_metadata())
    return f"projects/{_PROJECT}/traces/{found}" if found else None


def trace_fields() -> dict[str, str]:
    """The trace field of a log line (see `ner_client.json_logs.ContextFields`), if the call has a trace."""
    trace = current_trace()
    return {} if trace is None else {TRACE_FIELD: trace}
