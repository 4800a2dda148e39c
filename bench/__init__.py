"""Benchmarks, by purpose.

- `bench.suite`: the `make bench` pipeline. In-process ceiling, FastAPI baseline, the gRPC service,
  front capacity, memory and idle clients, in one run that checks the targets. It backs
  docs/benchmarks.md ("Latest figures" and the sections that quote a full run).
- `bench.standalone`: the same-run A/B of two checkouts (`bench.standalone.ab`) and the
  measurements run on their own. Each module's docstring names the figure and the doc it backs.
- `bench.corpus` (the corpora) and `bench.results_folder` (a new dated folder for every run's
  results under `bench/results/`) serve both.
"""
