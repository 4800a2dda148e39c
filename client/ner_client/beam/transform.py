"""`TagEntities`: documents in, `ner-tag`'s records out, dead letters on the side.

    results = documents | TagEntities(ConnectionSettings("https://ner-abc.a.run.app", id_token=True))
    results.tagged   # {"id", "entities", <other fields>}, or (key, record) for (key, text) input
    results.failed   # {"id", "code", "message"}: documents the service refused (empty, too long)

Counters (namespace `ner_client.beam`): `documents` tagged, `entities` found, `failed_documents`
sent to `failed`, `retries` of calls and documents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.ml.inference.base import RunInference
from apache_beam.pvalue import TaggedOutput

from ner_client.beam.connection import ConnectionSettings
from ner_client.beam.examples import Answer, example, output
from ner_client.beam.handler import NAMESPACE, NerModelHandler

TAGGED, FAILED = "tagged", "failed"


class TagEntities(beam.PTransform):  # type: ignore[misc]
    """Tags a PCollection of documents; the result has the outputs `tagged` and `failed`."""

    def __init__(
        self,
        settings: ConnectionSettings,
        labels: Sequence[str] = (),
        *,
        batch_documents: int = 256,
        batch_bytes: int = 1 << 20,
    ) -> None:
        super().__init__()
        self.handler = NerModelHandler(
            settings, labels, batch_documents=batch_documents, batch_bytes=batch_bytes
        )

    def expand(self, documents: beam.PCollection) -> Any:
        return (
            documents
            | "Examples" >> beam.Map(lambda element: example(element))
            | "Tag" >> RunInference(self.handler)
            | "Split" >> beam.ParDo(_Split()).with_outputs(FAILED, main=TAGGED)
        )


class _Split(beam.DoFn):  # type: ignore[misc]
    """Records to the main output, dead letters to `failed`; counts both."""

    def __init__(self) -> None:
        self.documents = beam.metrics.Metrics.counter(NAMESPACE, "documents")
        self.entities = beam.metrics.Metrics.counter(NAMESPACE, "entities")
        self.failed = beam.metrics.Metrics.counter(NAMESPACE, "failed_documents")

    def process(self, answer: Answer) -> Iterator[Any]:
        if answer.dead_letter is not None:
            self.failed.inc()
            yield TaggedOutput(FAILED, answer.dead_letter)
            return
        self.documents.inc()
        self.entities.inc(answer.entities)
        yield output(answer)
