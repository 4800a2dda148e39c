"""Measurements run on their own, each behind figures that a doc quotes.

- `ab`: a same-run A/B of this checkout's server against another's. docs/benchmarks.md, "What
  choosing the components from the pipeline costs en_core_web_md" and "UTF-16 offsets" (through
  the service).
- `beam_cost`: the Beam pipeline's docs/s and client CPU against `ner-tag`'s. docs/bulk.md, "What
  it costs", and docs/benchmarks.md.
- `bulk_client`: one bulk client's docs/s and CPU against the floor, and a roll-over's cost.
  docs/bulk.md, "How fast one client is" and "The roll-over period, and why 30 s".
- `gateway_cost`: JSON calls through `ner-web` against gRPC calls straight to the service.
  docs/benchmarks.md, "The gateway's cost", and docs/gateway.md.
- `offsets_cost`: what the UTF-16 offsets cost a worker. docs/benchmarks.md, "UTF-16 offsets".
- `ruler_pipeline`: the user's pipeline that docs/benchmarks.md, "Your own pipeline", measures
  with `bench.suite.run --model`.
"""
