"""The spaCy recognizer: describe a loaded pipeline, and turn texts into entity records.

Pure: texts in, entity records out. Knows nothing about gRPC or processes (`loading` loads).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ner_client.entity import Entity

from ner_server.shared.model_info import ModelInfo
from ner_server.worker.entity_components import entity_labels, entity_setters
from ner_server.worker.offsets import encoded_offsets

if TYPE_CHECKING:
    from spacy.language import Language

log = logging.getLogger(__name__)


def describe(nlp: Language) -> ModelInfo:
    from spacy.about import __version__ as spacy_version

    labels, unlisted = entity_labels(nlp, entity_setters(nlp))
    if unlisted:
        log.warning(
            "%s set entities but list no labels: the label filter accepts any label",
            ", ".join(unlisted),
            extra={"component": unlisted},
        )
    return ModelInfo(
        name=f"{nlp.meta['lang']}_{nlp.meta['name']}",
        version=nlp.meta["version"],
        spacy_version=spacy_version,
        labels=labels,
        pipeline=tuple(nlp.pipe_names),
        labels_known=not unlisted,
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

    def extract(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in text order."""
        # len(vocab) counts the lexemes a zone made and freed too, so once past the limit it
        # stays past it, and every later batch runs in a zone.
        if len(self.nlp.vocab) < self._vocabulary_limit:
            return self._extract(texts)
        with self.nlp.memory_zone():
            return self._extract(texts)

    def _extract(self, texts: Sequence[str]) -> list[list[Entity]]:
        nlp = self.nlp
        # A lone text skips nlp.pipe's batching machinery: about 0.2 ms of a 2 ms short call.
        docs = [nlp(texts[0])] if len(texts) == 1 else nlp.pipe(texts, batch_size=len(texts) or 1)
        return [list(_records(doc.text, doc.ents)) for doc in docs]


def _records(text: str, ents: Sequence) -> Iterator[Entity]:  # type: ignore[type-arg]
    starts_ends = [(ent.start_char, ent.end_char) for ent in ents]
    encoded = encoded_offsets(text, starts_ends)
    for ent, (start_byte, end_byte, start_utf16, end_utf16) in zip(ents, encoded, strict=True):
        yield Entity(
            text=ent.text,
            label=ent.label_,
            start_char=ent.start_char,
            end_char=ent.end_char,
            start_byte=start_byte,
            end_byte=end_byte,
            start_token=ent.start,
            end_token=ent.end,
            start_utf16=start_utf16,
            end_utf16=end_utf16,
        )
