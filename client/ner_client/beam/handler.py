"""The RunInference model handler: one BatchExtractEntities call a batch, resent until answered.

Built on Beam's `RemoteModelHandler`: Beam loads the "model" (a `Connection`, one per worker
process, shared by its threads) and throttles calls on the client side when too many fail
(adaptive throttling: every try counts as a request, an answered batch as a success). The batches
come from Beam's `BatchElements`, bounded by documents and by UTF-8 bytes.

`BatchExtractEntities` refuses a whole call for one invalid document (INVALID_ARGUMENT naming
`documents[i]`): that document becomes a dead letter with the server's message and the rest are
sent again. Calls that fail for a passing reason (UNAVAILABLE, RESOURCE_EXHAUSTED, a deadline) and
documents answered with a passing error (their worker died) are resent after a backoff, until the
retry budget runs out; then the bundle fails with `ServiceUnreachable`, as it does at once for a
call refused for the whole job (unknown labels, no permission).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import RemoteModelHandler

from ner_client import _convert, status
from ner_client.beam.connection import Backoff, Connection, ConnectionSettings
from ner_client.beam.examples import Answer, Example, failed, tagged, utf8_size

NAMESPACE = "ner_client.beam"
_REFUSED_DOCUMENT = re.compile(r"^documents\[(\d+)\]\.(\w+): (.*)$", re.S)


class NerModelHandler(RemoteModelHandler[Example, Answer, Connection]):  # type: ignore[misc]
    """Tags batches of examples through ner.v1.NerService; see the module docstring."""

    def __init__(
        self,
        settings: ConnectionSettings,
        labels: Sequence[str] = (),
        *,
        batch_documents: int = 256,
        batch_bytes: int = 1 << 20,
    ) -> None:
        # Beam's own retry (from 5 s up) is off: `request` resends within the retry budget.
        super().__init__(namespace=NAMESPACE, num_retries=0, throttle_delay_secs=1)
        self.settings = settings
        self.labels = tuple(labels)
        self.batch_documents = batch_documents
        self.batch_bytes = batch_bytes
        self._retries = Metrics.counter(NAMESPACE, "retries")

    def create_client(self) -> Connection:
        # No call here: a service still starting is waited for by `request`, within the budget.
        return Connection(self.settings)

    def batch_elements_kwargs(self) -> Mapping[str, Any]:
        # BatchElements bounds one weight: every document weighs at least a share of the byte
        # bound, so a batch holds at most `batch_documents` documents and `batch_bytes` bytes.
        share = max(1, self.batch_bytes // self.batch_documents)
        return {
            "min_batch_size": self.batch_bytes,
            "max_batch_size": self.batch_bytes,
            "element_size_fn": lambda example: max(share, utf8_size(example)),
        }

    def get_num_bytes(self, batch: Sequence[Example]) -> int:
        return sum(len(example.text) for example in batch)

    def request(
        self, batch: Sequence[Example], model: Connection, inference_args: dict[str, Any] | None = None
    ) -> list[Answer]:
        answers: list[Answer | None] = [
            None if example.problem is None else failed(example, "INVALID_ARGUMENT", example.problem)
            for example in batch
        ]
        pending = [index for index, answer in enumerate(answers) if answer is None]
        backoff = Backoff(self.settings)
        tries = 0
        while pending:
            if tries:
                self._retries.inc()
                self.throttler.throttle()
            tries += 1
            try:
                response = model.batch([(batch[i].id, batch[i].text) for i in pending], self.labels)
            except grpc.RpcError as error:
                refused = _refused_document(error)
                if refused is not None and refused[0] < len(pending):
                    position, field, message = refused
                    index = pending.pop(position)
                    answers[index] = failed(batch[index], error.code().name, f"document.{field}: {message}")
                    continue
                backoff.wait(error.code(), error.details() or "")
                continue
            again: list[int] = []
            for index, message in zip(pending, response.results, strict=True):
                result = _convert.document_result(message)
                if result.error is None:
                    answers[index] = tagged(batch[index], result)
                elif result.error.code in status.TRANSIENT_DOCUMENT:
                    again.append(index)
                else:
                    answers[index] = failed(batch[index], result.error.code.name, result.error.message)
            if len(again) < len(pending):
                backoff.progressed()
            if again:
                backoff.wait(
                    grpc.StatusCode.UNAVAILABLE, f"{len(again)} documents answered with a passing error"
                )
            pending = again
        return [answer for answer in answers if answer is not None]


def _refused_document(error: grpc.RpcError) -> tuple[int, str, str] | None:
    """(position, field, message) when the call was refused for one document of it."""
    if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
        return None
    match = _REFUSED_DOCUMENT.match(error.details() or "")
    return None if match is None else (int(match[1]), match[2], match[3])
