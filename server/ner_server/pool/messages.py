"""Every message between the front process, the fork server and the workers, as a typed value.

Encoded in one place (`wire`); each side matches on these types, never on tags.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

from ner_server.model import ModelInfo

__all__ = [
    "Answer",
    "Answered",
    "Batch",
    "Job",
    "JobKind",
    "LoadFailed",
    "ModelLoaded",
    "Outcome",
    "Refused",
    "Spawn",
    "Spawned",
    "WorkerReady",
]


# Fork server -> front, once: the model is loaded, or it could not be.
class ModelLoaded(NamedTuple):
    info: ModelInfo


class LoadFailed(NamedTuple):
    reason: str


# Front -> fork server: fork one more worker (pinned to `cpu` unless None); the answer carries
# the worker's socket as an attached descriptor.
class Spawn(NamedTuple):
    cpu: int | None


class Spawned(NamedTuple):
    pid: int


# Worker -> front, once, after its warm-up.
class WorkerReady(NamedTuple):
    pid: int


class JobKind(IntEnum):
    #: An ExtractEntitiesRequest, answered with an ExtractEntitiesResponse or refused.
    CALL = 0
    #: A StreamExtractEntitiesRequest (one document), answered with a StreamExtractEntitiesResponse
    #: that carries the document's entities or its error; never refused.
    DOCUMENT = 1


class Job(NamedTuple):
    """One document's request, serialized as the caller sent it."""

    kind: JobKind
    payload: bytes


# Front -> worker.
class Batch(NamedTuple):
    batch_id: int
    jobs: list[Job]


class Answered(NamedTuple):
    """The serialized response message, and how many entities it holds (for the metrics)."""

    payload: bytes
    entities: int


class Refused(NamedTuple):
    """A CALL job the worker would not answer (bad input, a model failure): how the call ends.
    `field` is the request field at fault, empty when none is."""

    code: int
    field: str
    description: str


Outcome = Answered | Refused


# Worker -> front: one outcome per job, in job order.
class Answer(NamedTuple):
    batch_id: int
    outcomes: list[Outcome]
