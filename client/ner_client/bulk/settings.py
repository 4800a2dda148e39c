"""How a bulk job streams: `BulkSettings` (`ner-tag`'s flags of the same names) and `RollOver`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RollOver:
    """When a stream ends its call and opens a new one; None is never."""

    documents: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class BulkSettings:
    """How a bulk job streams; `ner-tag`'s flags of the same names.

    A call rolls over (ends cleanly, and a new one takes its place, routed afresh) after
    `stream_documents` documents or `stream_seconds` seconds, whichever comes first; 0 is never.
    The defaults and why they are what they are: docs/bulk.md, "Many instances".
    """

    #: Parallel streams; at least the number of instances that should share the job.
    streams: int = 4
    #: Documents in flight on each stream.
    window: int = 64
    stream_documents: int = 0
    stream_seconds: float = 30.0
    #: Deadline of one call, in seconds (Cloud Run's request timeout is at most 3600).
    stream_timeout: float = 3600.0
    #: Give up after this many seconds without progress (`ConnectionFailed`).
    retry_budget: float = 120.0
    #: Most documents queued, in flight or held for ordering; 0 is 4 windows per stream (at least 256).
    buffer: int = 0

    @property
    def buffer_size(self) -> int:
        return self.buffer or max(256, 4 * self.streams * self.window)

    @property
    def rollover(self) -> RollOver:
        return RollOver(self.stream_documents or None, self.stream_seconds or None)
