"""Bulk tagging: `ner-tag` streams a corpus through NerService over parallel, self-healing streams.

    ner-tag corpus.jsonl --target localhost:50051 --output tagged.jsonl

Built on `AsyncNerClient` (its channel, requests and results). Modules, in the order a document
travels: `inputs` (lazy reading), `retry` (backoff, retry budget, waiting for the service),
`streams` (resilient, rolling bidirectional calls), `engine` (feed, streams, results in input
order, bounded buffer: also `AsyncNerClient.tag_all`), `threaded` (the engine behind
`NerClient.tag_all`), `pipeline` (one run: resume, shard, engine, writer), `outputs` (writer,
errors file, resume scan), `progress` (bar and notices), `cli` (flags, exit status, summary line).
"""

from ner_client.tag.cli import main
from ner_client.tag.pipeline import Summary, TagOptions, UsageError, tag

__all__ = ["Summary", "TagOptions", "UsageError", "main", "tag"]
