"""What the user sees while tagging: a progress bar on a terminal, and notices.

The bar (tqdm, on stderr) shows documents, docs/s, entities and the ETA when the total is known.
While the target cannot be reached, the bar shows why and the seconds of retry budget left.
When stderr is not a terminal there is no bar; notices (the target cannot be reached and why, a
stream broke, it is back) still go to stderr. The one-line summary at the end is printed by `cli`.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

#: Seconds between bar refreshes; updates in between are only counted.
REFRESH_SECONDS = 0.2


class Progress:
    def __init__(
        self, total: int | None, skipped: int = 0, show_bar: bool | None = None, quiet: bool = False
    ) -> None:
        self.started = time.monotonic()
        self.quiet = quiet
        self.skipped = skipped
        self.documents = 0
        self.entities = 0
        self.errors = 0
        show = sys.stderr.isatty() if show_bar is None else show_bar
        self._bar: tqdm[None] | None = None
        if show and not quiet:
            remaining = None if total is None else max(0, total - skipped)
            self._bar = tqdm(total=remaining, unit="doc", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self._pending = 0
        self._last = 0.0

    def update(self, documents: int, entities: int, errors: int) -> None:
        """Totals so far (documents finished, entities written, documents failed)."""
        self._pending += documents - self.documents
        self.documents, self.entities, self.errors = documents, entities, errors
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last >= REFRESH_SECONDS:
            self._last = now
            self._bar.set_postfix(entities=self.entities, errors=self.errors, refresh=False)
            self._bar.update(self._pending)
            self._pending = 0

    def retrying(self, status: str | None) -> None:
        """What is failing and the retry budget left, at the bar's left; None clears it."""
        if self._bar is not None:
            self._bar.set_description_str(status or "", refresh=True)

    def notice(self, message: str) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.write(f"ner-tag: {message}", file=sys.stderr)
        else:
            print(f"ner-tag: {message}", file=sys.stderr, flush=True)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix(entities=self.entities, errors=self.errors, refresh=False)
            self._bar.update(self._pending)
            self._bar.close()
            self._bar = None
