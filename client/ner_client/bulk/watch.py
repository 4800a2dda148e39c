"""What a bulk job tells its user while it runs: notices, and the retry status of the moment.

A `Watcher` gets a notice (one line: the target cannot be reached and why, a stream broke, it is
back) and the retry status (`retrying`: what is failing and the seconds of retry budget left, or
None once all is well again), which `ner-tag` shows on its progress line. `LogWatcher`, the
library's default, writes notices as WARNING and the retry status as INFO to the logger
`ner_client.bulk`.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("ner_client.bulk")


class Watcher(Protocol):
    def notice(self, message: str) -> None: ...

    def retrying(self, status: str | None) -> None: ...


class LogWatcher:
    def notice(self, message: str) -> None:
        log.warning("%s", message)

    def retrying(self, status: str | None) -> None:
        if status is not None:
            log.info("%s", status)
