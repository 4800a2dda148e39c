"""The `make bench` pipeline: `python -m bench.suite.run`, the figures of docs/benchmarks.md.

`run` drives one run: `ceiling` (the model in-process), `http_load` and `baseline/` (the FastAPI
baseline under wrk), `service`, `grpc_load` and `stream_load` (the service under ghz and the
Python client), `paired` (the targets' loads paired with the ceiling), `front` and `floor_server`
(front capacity against a bare gRPC server), `extras` and `memory` (memory, one short sentence,
distinct paragraphs), `idle_load` (idle connections and streams), `scrape` (batches per load,
from the server's metrics), `machine`, then `targets`, `report`, `markdown` and `plots` for the
results. Each run writes a new dated folder under `bench/results/` (`bench.results_folder`).
"""
