"""ner-server: spaCy named-entity recognition served over gRPC (ner.v1.NerService).

The packages split where the processes split: `front` runs in the gRPC process, `pool` is the
front's side of the model processes, `worker` runs in the fork server and the workers, and `shared`
holds what both sides use. The names below are imported when first used: the model processes
start from this package too, and must never load gRPC.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ner_server.front.server import RunningServer, serve, start_server
    from ner_server.front.settings import Settings

__all__ = ["RunningServer", "Settings", "serve", "start_server"]

_MODULES = {
    "RunningServer": "ner_server.front.server",
    "Settings": "ner_server.front.settings",
    "serve": "ner_server.front.server",
    "start_server": "ner_server.front.server",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'ner_server' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
