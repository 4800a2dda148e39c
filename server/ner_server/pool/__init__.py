"""The front's side of the model processes: the pool that keeps every worker slot filled, and its
handles on the fork server and each worker."""

from ner_server.pool.pool import WorkerPool
from ner_server.pool.processes import ModelLoadFailed, Worker, WorkerDied

__all__ = ["ModelLoadFailed", "Worker", "WorkerDied", "WorkerPool"]
