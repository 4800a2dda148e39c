"""The front: the gRPC process. Flags and settings, the server's assembly, NerService's methods and
their statuses, the batcher that feeds the workers, TLS, reflection, tracing and metrics."""
