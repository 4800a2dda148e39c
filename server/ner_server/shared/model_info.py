"""The model's description: what the fork server reports once it has loaded the model, and what
the front serves in GetModelInfo and the metrics."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelInfo"]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    spacy_version: str
    #: Every label the entity-setting components can produce.
    labels: tuple[str, ...]
    #: The components that run, in order.
    pipeline: tuple[str, ...]
    #: False when a component that sets entities does not list its labels: any label may come.
    labels_known: bool = True
