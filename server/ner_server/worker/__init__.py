"""The model processes: the fork server that loads the model once, the workers forked from it, and
what a worker does with a batch. Never loads gRPC (forking a process that runs gRPC is unsafe)."""
