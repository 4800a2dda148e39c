"""The bulk engine: any number of documents through parallel, rolling, self-healing streams, in order.

`AsyncNerClient.tag_all`, `NerClient.tag_all` and the `ner-tag` command all run it. Modules, in
the order a document travels: `settings` (`BulkSettings`, the roll-over rule), `failures` (which
errors end a job, and a failure's reason in words), `retry` (backoff, the retry budget, waiting for
the service), `streams` (resilient, rolling bidirectional calls), `engine` (feed, streams, results
in input order, bounded memory), `threaded` (the engine behind the blocking client), `watch`
(what the job tells its user while it runs) and `needs` (what it needs of a client).
"""

from ner_client.bulk.engine import Engine, tag_all
from ner_client.bulk.failures import ConnectionFailed
from ner_client.bulk.needs import StreamingClient
from ner_client.bulk.settings import BulkSettings
from ner_client.bulk.watch import LogWatcher, Watcher

__all__ = [
    "BulkSettings",
    "ConnectionFailed",
    "Engine",
    "LogWatcher",
    "StreamingClient",
    "Watcher",
    "tag_all",
]
