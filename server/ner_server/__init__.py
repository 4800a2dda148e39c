"""ner-server: spaCy named-entity recognition served over gRPC (ner.v1.NerService).

Three packages, split where the processes split: `front` runs in the gRPC process, `pool` is the
front's side of the model processes, `worker` runs in the fork server and the workers, and `shared`
holds what both sides use. The public names below load the front (and gRPC) only when asked for:
the model processes start from this package too, and must never load gRPC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ner_server.front.server import RunningServer, serve, start_server
    from ner_server.front.settings import Settings

__all__ = ["RunningServer", "Settings", "serve", "start_server"]


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from ner_server.front.settings import Settings

        return Settings
    if name in ("RunningServer", "serve", "start_server"):
        from ner_server.front import server

        return getattr(server, name)
    raise AttributeError(f"module 'ner_server' has no attribute {name!r}")
