"""ner-server: spaCy named-entity recognition served over gRPC (ner.v1.NerService)."""

from ner_server.server import RunningServer, serve, start_server
from ner_server.settings import Settings

__all__ = ["RunningServer", "Settings", "serve", "start_server"]
