"""Apache Beam (Dataflow) support: the `TagEntities` transform and a ready pipeline.

Needs the `beam` extra (`pip install 'ner-grpc-client[beam,auth]'`). `python -m ner_client.beam`
runs the pipeline (`ner_client.beam.cli`); docs/bulk.md says how to run it on Dataflow.
"""

from ner_client.beam.connection import ConnectionSettings, ServiceUnreachable
from ner_client.beam.transform import FAILED, TAGGED, TagEntities

__all__ = ["FAILED", "TAGGED", "ConnectionSettings", "ServiceUnreachable", "TagEntities"]
