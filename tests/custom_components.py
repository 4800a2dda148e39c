"""Custom spaCy components for the tests of users' own pipelines: the file given to `--code`.

`ticker_entities` marks words of three to five capital letters as TICKER entities.
`gpu_entities` does the same, but asks for a GPU when its config says `device = "gpu"`.
`drop_product_lines` removes entities without declaring that it assigns them.
`shouted_words` marks the same words as SHOUT, with no `labels` to say so.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span


class TickerEntities:
    labels = ("TICKER",)

    def __call__(self, doc: Doc) -> Doc:
        found = [
            Span(doc, token.i, token.i + 1, label="TICKER")
            for token in doc
            if token.is_upper and token.is_alpha and 3 <= len(token) <= 5
        ]
        doc.ents = [span for span in doc.ents if not any(span.start <= f.start < span.end for f in found)]
        doc.ents = list(doc.ents) + found
        return doc


@Language.factory("ticker_entities", assigns=["doc.ents"])
def make_ticker_entities(nlp: Language, name: str) -> TickerEntities:
    return TickerEntities()


@Language.factory("gpu_entities", assigns=["doc.ents"], default_config={"device": "cpu"})
def make_gpu_entities(nlp: Language, name: str, device: str) -> TickerEntities:
    if device == "gpu":
        import spacy

        spacy.require_gpu()
    return TickerEntities()


@Language.component("drop_product_lines")
def drop_product_lines(doc: Doc) -> Doc:
    """Removes PRODUCT_LINE entities, and declares nothing: only the check at start can see it."""
    doc.ents = [span for span in doc.ents if span.label_ != "PRODUCT_LINE"]
    return doc


@Language.component("shouted_words", assigns=["doc.ents"])
def shouted_words(doc: Doc) -> Doc:
    """Marks words of three to five capital letters as SHOUT, and lists no labels anywhere."""
    doc.ents = [
        Span(doc, token.i, token.i + 1, label="SHOUT")
        for token in doc
        if token.is_upper and token.is_alpha and 3 <= len(token) <= 5
    ]
    return doc
