"""`ner-tag`: streams a corpus through NerService over parallel, self-healing streams.

    ner-tag corpus.jsonl --target localhost:50051 --output tagged.jsonl

Built on `AsyncNerClient` and the bulk engine (`ner_client.bulk`: parallel, rolling,
self-healing streams, results in input order), which `tag_all` runs too. Modules, in the order a
document travels: `inputs` (lazy reading), `background` (stdin on a thread of its own),
`pipeline` (one run: resume, shard, engine, writer), `outputs` (writer, errors file, resume scan),
`progress` (bar, notices, the retry status), `cli` (flags, exit status, summary line) and
`flag_types` (what each flag accepts).
"""

from ner_client.tag.cli import main
from ner_client.tag.pipeline import Summary, TagOptions, UsageError, tag

__all__ = ["Summary", "TagOptions", "UsageError", "main", "tag"]
