"""Model processes: a fork server that holds the loaded model, and workers forked from it."""

from ner_server.pool.handles import ModelLoadFailed, Worker, WorkerDied
from ner_server.pool.pool import WorkerPool

__all__ = ["ModelLoadFailed", "Worker", "WorkerDied", "WorkerPool"]
