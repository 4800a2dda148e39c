"""A model worker: takes batches of texts from its socket and sends back their entities.

Runs in a process forked from the fork server, so the model is already in memory (shared
copy-on-write with every other worker).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import time
from typing import TYPE_CHECKING

from ner_server.model import extract
from ner_server.pool import wire

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)

WARM_UP_TEXT = "On Tuesday the Lisbon office of Example Corp hired 12 engineers for 3 million euros."

#: Result for one text: ("ok", [EntityRecord, ...]) or ("error", description).
Outcome = tuple[str, object]


def run_worker(nlp: Language, sock: socket.socket, spin_seconds: float) -> None:
    """Serve batches until the front process closes the socket."""
    extract(nlp, [WARM_UP_TEXT])
    wire.send(sock, ("ready", os.getpid()))
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    while True:
        _spin_until_readable(poller, spin_seconds)
        if (message := wire.receive(sock)) is None:
            break
        batch_id, texts = message
        wire.send(sock, (batch_id, _run_batch(nlp, texts)))


def _spin_until_readable(poller: select.poll, seconds: float) -> None:
    # Yielding while polling lets the front process run on this core when it needs to.
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if poller.poll(0):
            return
        os.sched_yield()


def _run_batch(nlp: Language, texts: list[str]) -> list[Outcome]:
    try:
        return [("ok", entities) for entities in extract(nlp, texts)]
    except Exception:
        if len(texts) == 1:
            log.exception("the pipeline failed on a text of %d characters", len(texts[0]))
            return [("error", "the model failed on this text")]
    # One text broke the batch: run them one by one so only that one fails.
    return [outcome for text in texts for outcome in _run_batch(nlp, [text])]
