"""Which components of a pipeline its entities depend on, found from the pipeline itself.

A component matters when it sets entities (it declares that it assigns `doc.ents` or a token's
entity attributes, or it is a span ruler that annotates entities), when it changes the tokens
(entity offsets are counted in tokens too), when an entity component listens to it (a shared
`tok2vec` or `transformer`), or when it assigns what a component that matters requires, as
declared by its factory or as read from a ruler's patterns. An attribute that something requires
and no earlier component declares keeps every earlier component: a guess is never left out.

Names never decide: a component is judged by spaCy's metadata and by what it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "Selection",
    "entity_labels",
    "entity_setters",
    "entity_spans",
    "mismatch",
    "sample_texts",
    "select",
]

ENTITY_ATTRIBUTES = frozenset({"doc.ents", "token.ent_iob", "token.ent_type"})

#: What a token pattern's key reads, in the names of spaCy's `assigns` / `requires`.
_PATTERN_KEYS = {
    "POS": "token.pos",
    "TAG": "token.tag",
    "MORPH": "token.morph",
    "LEMMA": "token.lemma",
    "DEP": "token.dep",
    "HEAD": "token.head",
    "SENT_START": "token.is_sent_start",
    "IS_SENT_START": "token.is_sent_start",
    "ENT_TYPE": "token.ent_type",
    "ENT_IOB": "token.ent_iob",
    "ENT_ID": "token.ent_id",
    "ENT_KB_ID": "token.ent_kb_id",
    "_": "token._",
}

#: Texts every pipeline is checked on, reduced against full, before it serves. Written for this
#: project; a ruler's own patterns are added to them (`sample_texts`).
_SAMPLES = (
    "Maria Okafor flew from Lagos to Montreal on 3 March 2024 to meet the board of Northwind Labs.",
    "The Danube Freight Company paid $4.5 million for 12 barges, the Vienna office said on Friday.",
    "Professor Ito told the Kyoto Symposium that 40 percent of the data came from Brazil and Chile.",
    "Am Montag eröffnete die Firma Weber & Sohn in Hamburg ein Büro mit 25 Mitarbeitern.",
    "Le Conseil de Lyon a voté mardi un budget de 3 millions d'euros pour la gare Part-Dieu.",
    "Ahmed and Sofia Lindqvist, both of Acme Robotics Inc., signed the deal in Oslo at 9 a.m.",
    "In the 1990s the Pacific Rail Museum in Sacramento held the second-largest collection.",
    "🎉 Chen Wei moved to São Paulo in June; the Café Ñandú opened next to the Museu Paulista.",
)


@dataclass(frozen=True)
class Selection:
    """The components that run and those left out, in pipeline order, and why each that runs does:
    "sets entities", "changes the tokens", "listened to by ner", "required for token.pos by
    entity_ruler" (several joined by "; ")."""

    running: tuple[str, ...]
    left_out: tuple[str, ...]
    reasons: dict[str, str]


def entity_setters(nlp: Language) -> list[str]:
    """The enabled components that set entities, in pipeline order."""
    return [name for name, component in nlp.pipeline if _sets_entities(nlp, name, component)]


def select(nlp: Language) -> Selection:
    """The smallest set of enabled components that the entities depend on, and the rest."""
    pipeline = list(nlp.pipeline)
    position = {name: index for index, (name, _) in enumerate(pipeline)}
    reasons: dict[str, set[str]] = {name: set() for name, _ in pipeline}
    for name in entity_setters(nlp):
        reasons[name].add("sets entities")
    for name, _ in pipeline:
        if nlp.get_pipe_meta(name).retokenizes:
            reasons[name].add("changes the tokens")
    needed = {name for name, why in reasons.items() if why}
    waiting = list(needed)
    while waiting:
        name = waiting.pop()
        earlier = pipeline[: position[name]]
        component = nlp.get_pipe(name)
        found = {other for other, embedder in earlier if name in _listeners(embedder)}
        for other in found:
            reasons[other].add(f"listened to by {name}")
        for attribute in _requires(nlp, name, component):
            providers = {other for other, item in earlier if attribute in _assigns(nlp, other, item)}
            for other in providers:
                reasons[other].add(f"required for {attribute} by {name}")
            for other in set() if providers else {other for other, _ in earlier}:
                reasons[other].add(
                    f"runs before {name}, which requires {attribute} that no component declares"
                )
            found |= providers or {other for other, _ in earlier}
        for other in found - needed:
            needed.add(other)
            waiting.append(other)
    return Selection(
        running=tuple(name for name, _ in pipeline if name in needed),
        left_out=tuple(name for name, _ in pipeline if name not in needed),
        reasons={name: _joined(reasons[name]) for name, _ in pipeline if name in needed},
    )


def _joined(reasons: set[str]) -> str:
    """The reasons, sorted, with the listeners of one component named in one reason."""
    listened = "listened to by "
    listeners = sorted(reason.removeprefix(listened) for reason in reasons if reason.startswith(listened))
    others = sorted(reason for reason in reasons if not reason.startswith(listened))
    return "; ".join(([listened + " and ".join(listeners)] if listeners else []) + others)


def entity_labels(nlp: Language, setters: Iterable[str]) -> tuple[tuple[str, ...], list[str]]:
    """Every label the setters can produce, sorted; and the setters that do not list theirs."""
    labels: set[str] = set()
    unlisted = []
    for name in setters:
        component_labels = getattr(nlp.get_pipe(name), "labels", None)
        if component_labels is None:
            unlisted.append(name)
        else:
            labels.update(component_labels)
    return tuple(sorted(labels)), unlisted


def sample_texts(nlp: Language, setters: Iterable[str], limit: int = 200) -> list[str]:
    """The fixed samples and, for each ruler among the setters, texts its own patterns match."""
    texts = list(_SAMPLES)
    for name in setters:
        patterns = getattr(nlp.get_pipe(name), "patterns", None) or []
        matched = [text for text in map(_pattern_text, patterns) if text]
        for start in range(0, min(len(matched), limit), 8):
            texts.append("On Monday " + ", then ".join(matched[start : start + 8]) + " came up.")
            texts.extend(matched[start : start + 8])
    return texts


def mismatch(nlp: Language, running: Sequence[str], texts: Sequence[str], expected: Sequence[Any]) -> bool:
    """Whether any text's entities differ from `expected` (`entity_spans`) when only `running` runs."""
    with nlp.select_pipes(enable=list(running)):
        return [entity_spans(doc) for doc in nlp.pipe(texts)] != list(expected)


def entity_spans(doc: Any) -> list[tuple[int, int, int, int, str]]:
    """What an answer says of each entity: offsets in code points and tokens, and the label."""
    return [(ent.start_char, ent.end_char, ent.start, ent.end, ent.label_) for ent in doc.ents]


def _sets_entities(nlp: Language, name: str, component: Any) -> bool:
    return bool(_assigns(nlp, name, component) & ENTITY_ATTRIBUTES)


def _assigns(nlp: Language, name: str, component: Any) -> set[str]:
    assigns = set(nlp.get_pipe_meta(name).assigns)
    if getattr(component, "annotate_ents", False):
        assigns.add("doc.ents")
    if nlp.get_pipe_meta(name).factory == "attribute_ruler":
        for pattern in component.patterns:
            assigns.update(_PATTERN_KEYS.get(key.upper(), f"token.{key.lower()}") for key in pattern["attrs"])
    return assigns


def _requires(nlp: Language, name: str, component: Any) -> set[str]:
    requires = set(nlp.get_pipe_meta(name).requires)
    for pattern in getattr(component, "patterns", None) or []:
        for token_patterns in _token_patterns(pattern):
            requires.update(_pattern_requires(token_patterns))
    matcher_attr = getattr(component, "phrase_matcher_attr", None)
    if isinstance(matcher_attr, str) and matcher_attr.upper() in _PATTERN_KEYS:
        requires.add(_PATTERN_KEYS[matcher_attr.upper()])
    if getattr(component, "mode", None) in ("rule", "pos_lookup"):  # spaCy's rule-based lemmatizer
        requires.add("token.pos")
    return requires


def _listeners(component: Any) -> list[str]:
    return list(getattr(component, "listening_components", None) or [])


def _token_patterns(pattern: Any) -> Iterator[list[dict[str, Any]]]:
    """The token patterns of a ruler's pattern (entity or span ruler: one; attribute ruler: many)."""
    if not isinstance(pattern, dict):
        return
    if isinstance(pattern.get("pattern"), list):
        yield pattern["pattern"]
    for each in pattern.get("patterns", []):
        if isinstance(each, list):
            yield each


def _pattern_requires(tokens: list[dict[str, Any]]) -> set[str]:
    return {_PATTERN_KEYS[key.upper()] for token in tokens for key in token if key.upper() in _PATTERN_KEYS}


def _pattern_text(pattern: Any) -> str | None:
    """A text the pattern matches, when the pattern spells one out."""
    if not isinstance(pattern, dict):
        return None
    if isinstance(pattern.get("pattern"), str):
        return str(pattern["pattern"])
    words = []
    for token in pattern.get("pattern") or []:
        spelled = next((token[key] for key in token if key.upper() in ("ORTH", "TEXT", "LOWER")), None)
        if not isinstance(spelled, str):
            return None
        words.append(spelled)
    return " ".join(words) or None
