"""Every message between the front process, the fork server and the workers, as a typed value.

Encoded in one place (`wire`); each side matches on these types, never on tags. A batch and its
answer hold their documents as columns of plain values (bytes, ints), not one object per
document: pickling a small object per document costs more than everything else the front does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

from ner_server.shared.model_info import ModelInfo
from ner_server.shared.worker_config import WorkerConfig

__all__ = [
    "Answer",
    "Batch",
    "JobKind",
    "LoadFailed",
    "LoadModel",
    "ModelLoaded",
    "Outcome",
    "Refused",
    "Spawn",
    "Spawned",
    "WorkerReady",
]


# Front -> fork server, first and once: how to load the model and run the workers.
class LoadModel(NamedTuple):
    config: WorkerConfig


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


# Front -> worker: documents' requests, serialized as callers sent them; kinds[i] is the JobKind
# of requests[i].
class Batch(NamedTuple):
    batch_id: int
    kinds: bytes
    requests: list[bytes]


class Refused(NamedTuple):
    """A CALL job the worker would not answer (bad input, a model failure): how the call ends.
    `field` is the request field at fault, empty when none is."""

    code: int
    field: str
    description: str


#: A job's outcome: its serialized response message, or why a CALL was refused.
Outcome = bytes | Refused


# Worker -> front: one outcome per request, in order, and the entities the responses hold.
class Answer(NamedTuple):
    batch_id: int
    outcomes: list[Outcome]
    entities: int
