"""Model processes: a fork server that holds the loaded model, and workers forked from it."""

from ner_server.pool.pool import ModelLoadFailed, Worker, WorkerDied, WorkerPool

__all__ = ["ModelLoadFailed", "Worker", "WorkerDied", "WorkerPool"]
