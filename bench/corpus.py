"""Corpora for the benchmark: JSONL of `{id, text}`, word counts, and made-up distinct paragraphs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The corpus directory: env `NER_CORPUS_DIR`, else `../shared/corpus` beside the repository.
SHARED_CORPUS = Path(os.environ.get("NER_CORPUS_DIR") or ROOT.parent / "shared" / "corpus").resolve()
LONG = SHARED_CORPUS / "gum_wiki.jsonl"
PARAGRAPHS = SHARED_CORPUS / "gum_wiki_sentences.jsonl"
SHORT_SENTENCE = "Ada Lovelace was born in London in 1815."


@dataclass(frozen=True)
class Corpus:
    """Texts of one JSONL file. Words are whitespace-separated, the unit of every words/s figure."""

    name: str
    texts: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(count_words(text) for text in self.texts)

    @property
    def chars(self) -> int:
        return sum(len(text) for text in self.texts)

    @property
    def words_per_doc(self) -> float:
        return self.words / len(self.texts)


def count_words(text: str) -> int:
    return len(text.split())


class CorpusMissing(SystemExit):
    """A corpus file that is not there: one line naming it and the ways to point elsewhere."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"bench: no corpus at {path}: set NER_CORPUS_DIR or pass --corpus PATH")


def require(path: str | Path) -> Path:
    """`path`, absolute, or `CorpusMissing` when there is no such file."""
    path = Path(path).resolve()
    if not path.is_file():
        raise CorpusMissing(path)
    return path


def load(path: str | Path, limit: int | None = None) -> Corpus:
    """The first `limit` texts (all when None) of a JSONL file of `{id, text}` lines."""
    path = require(path)
    texts = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                texts.append(json.loads(line)["text"])
            if limit is not None and len(texts) >= limit:
                break
    if not texts:
        raise ValueError(f"{path} has no documents")
    return Corpus(path.stem, tuple(texts))


_SYLLABLES = ("ka", "vel", "dor", "mi", "zan", "tro", "quel", "bra", "sin", "ul", "fey", "gor")


def made_up_name(number: int) -> str:
    """A capitalised word spelled from `number`, different for every number."""
    parts = []
    while True:
        number, digit = divmod(number, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
        if number == 0:
            break
    return "".join(parts).capitalize()


def distinct_paragraphs(corpus: Corpus, count: int, start: int = 0) -> Iterator[str]:
    """`count` paragraphs, none seen before: a corpus text plus a sentence of made-up names.

    Every paragraph brings strings the model's vocabulary has never held, so without memory
    zones a long-running worker's string store would grow with every call.
    """
    for number in range(start, start + count):
        base = corpus.texts[number % len(corpus.texts)]
        person = made_up_name(number)
        place = made_up_name(number * 7 + 3)
        day = number % 28 + 1
        yield f"{base} {person} Orvath met the board of {place} Holdings in {place}ville on May {day}."
