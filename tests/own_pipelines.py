"""Users' own pipelines, made at run time with spaCy's API and CLI (no model files in the repo).

Each builder writes a pipeline directory under `root` and returns it. The texts and patterns are
written for these tests; `TEXTS` holds, for each pipeline, texts on which it finds entities.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

CUSTOM_CODE = Path(__file__).resolve().parent / "custom_components.py"

COMPANY_PATTERNS: list[dict[str, Any]] = [
    {"label": "ORG", "pattern": "Quillfeather"},
    {"label": "ORG", "pattern": "Bramblewick Analytics"},
    {"label": "PRODUCT_LINE", "pattern": [{"LOWER": "skylark"}, {"IS_DIGIT": True}]},
    {"label": "PRODUCT_LINE", "pattern": [{"LOWER": "heron"}, {"LOWER": "max"}]},
]

#: A ruler after the ner, one of whose patterns reads part-of-speech tags: it needs the tagger and
#: the attribute_ruler (which maps tags to POS), and the tok2vec the tagger listens to.
TAGGED_PATTERNS: list[dict[str, Any]] = [
    *COMPANY_PATTERNS,
    {"label": "GADGET", "pattern": [{"POS": "PROPN"}, {"LOWER": {"IN": ["drone", "drones"]}}]},
]

COMPANY_TEXTS = [
    "Quillfeather shipped the Skylark 7 to Harbor Point on Monday, said Dana Whitcombe.",
    "Our office in Denver bought two Skylark 9 units and a Heron Max from Quillfeather in April.",
    "Bramblewick Analytics hired Tomasz Wielgosz, who flew the Osprey drone over Lake Tahoe.",
    "🎉 On 4 May the Quillfeather team in São Paulo showed the Heron Max to 300 guests.",
]

TAGGED_TEXTS = [
    *COMPANY_TEXTS,
    "The survey team flew a Kestrel drone over the quarry near Quillfeather's yard.",
    "She bought the Wren drone and two Finch drones for the Skylark 3 launch.",
]

TRAINED_EXAMPLES = [
    ("Anna Kowalski moved to Gdansk last spring.", [(0, 13, "PERSON"), (23, 29, "CITY")]),
    ("Rafael Ortiz works in Valencia now.", [(0, 12, "PERSON"), (22, 30, "CITY")]),
    ("Mei Tanaka visited Osaka and Nagoya.", [(0, 10, "PERSON"), (19, 24, "CITY"), (29, 35, "CITY")]),
    ("Lars Berg left Bergen for Tromso.", [(0, 9, "PERSON"), (15, 21, "CITY"), (26, 32, "CITY")]),
    ("In Porto, Ines Duarte opened a bakery.", [(3, 8, "CITY"), (10, 21, "PERSON")]),
    ("Kofi Mensah flew from Accra to Kumasi.", [(0, 11, "PERSON"), (22, 27, "CITY"), (31, 37, "CITY")]),
]
TRAINED_TEXTS = [text for text, _ in TRAINED_EXAMPLES]

SPAN_PATTERNS: list[dict[str, Any]] = [
    {"label": "STAR", "pattern": [{"LOWER": "alpha"}, {"LOWER": "centauri"}]},
    {"label": "STAR", "pattern": "Betelgeuse"},
    {"label": "PROBE", "pattern": [{"LOWER": "voyager"}, {"IS_DIGIT": True}]},
]
SPAN_TEXTS = [
    "Voyager 2 will never reach Alpha Centauri. Betelgeuse is far brighter.",
    "The students pointed at Betelgeuse, then at Alpha Centauri, then at nothing.",
]

GERMAN_PATTERNS: list[dict[str, Any]] = [
    {"label": "ORG", "pattern": "Bundesamt für Wasserstraßen"},
    {"label": "LOC", "pattern": [{"LOWER": "kölner"}, {"LOWER": "dom"}]},
    {"label": "ZEIT", "pattern": [{"LOWER": {"IN": ["montag", "dienstag", "mittwoch"]}}]},
]
GERMAN_TEXTS = [
    "Am Montag besuchte das Bundesamt für Wasserstraßen den Kölner Dom.",
    "Der Kölner Dom öffnet am Dienstag früher, schreibt das Bundesamt für Wasserstraßen.",
]

CUSTOM_TEXTS = [
    "Shares of QRTZ and VELO rose after Mara Lindgren spoke in Oslo.",
    "Nobody expected BLNK to fall, said the desk in Helsinki.",
]


def en_core_web_md_with_ruler(root: Path, where: str, patterns: list[dict[str, Any]]) -> Path:
    """A copy of en_core_web_md with an entity_ruler `where` ("before" or "after") its ner."""
    import spacy
    from ner_server.worker.loading import resolve_model

    nlp = spacy.load(resolve_model("en_core_web_md"))
    ruler = nlp.add_pipe("entity_ruler", **{where: "ner"})
    ruler.add_patterns(patterns)
    nlp.meta["name"] = f"ruler_{where}_ner"
    nlp.meta["version"] = "1.2.0"
    return _save(nlp, root / f"ruler-{where}-ner")


def trained_listener(root: Path) -> Path:
    """tok2vec + ner from `spacy init config`, trained by `spacy train`: the ner listens."""
    import spacy
    from spacy.tokens import DocBin

    work = root / "trained"
    work.mkdir()
    nlp = spacy.blank("en")
    data = DocBin()
    for text, spans in TRAINED_EXAMPLES:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(start, end, label=label) for start, end, label in spans]
        data.add(doc)
    data.to_disk(work / "train.spacy")
    config = work / "config.cfg"
    _spacy_cli("init", "config", str(config), "--lang", "en", "--pipeline", "tok2vec,ner")
    _spacy_cli(
        "train", str(config), "--output", str(work / "out"),
        "--paths.train", str(work / "train.spacy"), "--paths.dev", str(work / "train.spacy"),
        "--training.max_steps", "120", "--training.eval_frequency", "120",
        "--training.seed", "7", "--nlp.batch_size", "16",
    )  # fmt: skip
    return work / "out" / "model-last"


def blank_entity_ruler(root: Path) -> Path:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(COMPANY_PATTERNS)
    return _save(nlp, root / "blank-ruler")


def span_ruler_entities(root: Path) -> Path:
    """A span_ruler that writes entities, after a sentencizer that the entities do not need."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("span_ruler", config={"annotate_ents": True}).add_patterns(SPAN_PATTERNS)
    return _save(nlp, root / "span-ruler")


def german_ruler(root: Path) -> Path:
    import spacy

    nlp = spacy.blank("de")
    nlp.add_pipe("entity_ruler").add_patterns(GERMAN_PATTERNS)
    nlp.meta["name"] = "behoerden"
    return _save(nlp, root / "german-ruler")


def custom_component(root: Path, factory: str = "ticker_entities") -> Path:
    """A pipeline whose entities come from a factory defined in CUSTOM_CODE (import it first)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe(factory)
    return _save(nlp, root / factory)


def undeclared_entity_filter(root: Path) -> Path:
    """A ruler, then a component from CUSTOM_CODE that removes some of its entities undeclared."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns(COMPANY_PATTERNS)
    nlp.add_pipe("drop_product_lines")
    return _save(nlp, root / "undeclared-filter")


def custom_component_without_labels(root: Path) -> Path:
    """A function component from CUSTOM_CODE that sets entities and lists no labels."""
    return custom_component(root, "shouted_words")


def without_entities(root: Path) -> Path:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return _save(nlp, root / "no-entities")


def _save(nlp: Any, path: Path) -> Path:
    nlp.to_disk(path)
    return path


def _spacy_cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "spacy", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"spacy {args[0]} failed:\n{done.stdout}\n{done.stderr}")
