"""The benchmark: the in-process ceiling, a FastAPI baseline and the gRPC service, in one run.

`python -m bench.run --corpus PATH` (or `make bench`) prints a table, writes JSON and PNG plots
under `bench/results/`, and says PASS or MISS for each target of docs/benchmarks.md.
"""
