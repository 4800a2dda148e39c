"""Users' own pipelines, served with default flags, answer what `spacy.load(dir)(text).ents` says.

Each pipeline is made at run time (`tests.own_pipelines`) and served by a real server with two
workers; every RPC is compared with in-process spaCy as it loads the same directory. Pipelines the
server cannot serve must stop it before SERVING, with one line that names the cause and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from ner_client import Document, NerClient

from tests import own_pipelines as made
from tests.reference import assert_offsets_slice, expected_rows, rows
from tests.support import ServerProcess


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    texts: list[str]
    running: tuple[str, ...]
    left_out: tuple[str, ...] = ()
    #: Labels that only a rule-based component knows.
    rule_labels: tuple[str, ...] = ()
    model_name: str = "en_pipeline"
    code: tuple[str, ...] = field(default=())
    #: The code files through NER_CODE instead of --code.
    code_from_env: bool = False
    #: The component a WARNING names, and what the WARNING says of it.
    warns_of: str | None = None
    warning_says: str = "full pipeline"
    #: False when an entity-setting component lists no labels: the filter then takes any label.
    labels_known: bool = True
    #: Why each running component runs, as the start log says (None: not checked word for word).
    reasons: dict[str, str] | None = None


CASES = {
    "ruler-before-ner": Case(
        lambda root: made.en_core_web_md_with_ruler(root, "before", made.COMPANY_PATTERNS),
        made.COMPANY_TEXTS,
        running=("entity_ruler", "ner"),
        left_out=("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"),
        rule_labels=("PRODUCT_LINE",),
        model_name="en_ruler_before_ner",
    ),
    "ruler-after-ner-reading-pos": Case(
        lambda root: made.en_core_web_md_with_ruler(root, "after", made.TAGGED_PATTERNS),
        made.TAGGED_TEXTS,
        running=("tok2vec", "tagger", "parser", "attribute_ruler", "ner", "entity_ruler"),
        left_out=("lemmatizer",),
        rule_labels=("PRODUCT_LINE", "GADGET"),
        model_name="en_ruler_after_ner",
        # The ruler reads POS; en_core_web_md's attribute_ruler maps TAG and DEP to POS.
        reasons={
            "tok2vec": "listened to by parser and tagger",
            "tagger": "required for token.tag by attribute_ruler",
            "parser": "required for token.dep by attribute_ruler",
            "attribute_ruler": "required for token.pos by entity_ruler",
            "ner": "sets entities",
            "entity_ruler": "sets entities",
        },
    ),
    "trained-tok2vec-listener": Case(
        made.trained_listener,
        made.TRAINED_TEXTS,
        running=("tok2vec", "ner"),
        reasons={"tok2vec": "listened to by ner", "ner": "sets entities"},
    ),
    "blank-entity-ruler": Case(
        made.blank_entity_ruler, made.COMPANY_TEXTS, running=("entity_ruler",), rule_labels=("PRODUCT_LINE",)
    ),
    "span-ruler": Case(
        made.span_ruler_entities,
        made.SPAN_TEXTS,
        running=("span_ruler",),
        left_out=("sentencizer",),
        rule_labels=("STAR", "PROBE"),
    ),
    "custom-component": Case(
        made.custom_component,
        made.CUSTOM_TEXTS,
        running=("ticker_entities",),
        rule_labels=("TICKER",),
        code=(str(made.CUSTOM_CODE),),
        code_from_env=True,
    ),
    "undeclared-entity-filter": Case(
        made.undeclared_entity_filter,
        made.COMPANY_TEXTS,
        running=("entity_ruler", "drop_product_lines"),
        code=(str(made.CUSTOM_CODE),),
        warns_of="drop_product_lines",
        reasons={
            "entity_ruler": "sets entities",
            "drop_product_lines": "the full pipeline runs: the entities changed without what spaCy's "
            "metadata leaves out (see the WARNING)",
        },
    ),
    "custom-component-without-labels": Case(
        made.custom_component_without_labels,
        made.CUSTOM_TEXTS,
        running=("shouted_words",),
        code=(str(made.CUSTOM_CODE),),
        warns_of="shouted_words",
        warning_says="the label filter accepts any label",
        labels_known=False,
    ),
    "german-ruler": Case(
        made.german_ruler,
        made.GERMAN_TEXTS,
        running=("entity_ruler",),
        rule_labels=("ZEIT",),
        model_name="de_behoerden",
    ),
}


@pytest.fixture(scope="session")
def custom_code() -> None:
    """The custom factories, registered in this process as `--code` registers them in the server's."""
    from spacy.util import import_file

    import_file("ner_test_custom_components", made.CUSTOM_CODE)


@dataclass
class Served:
    case: Case
    path: Path
    server: ServerProcess
    expected: list[list[Any]]
    nlp: Any


@pytest.fixture(scope="module", params=sorted(CASES))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, custom_code: None
) -> Iterator[Served]:
    import spacy

    case = CASES[request.param]
    path = case.build(tmp_path_factory.mktemp(request.param))
    nlp = spacy.load(path)
    expected = expected_rows(nlp, case.texts)
    assert sum(map(len, expected)) >= len(case.texts), "the pipeline should find entities in these texts"
    code_args = [argument for path in case.code for argument in ("--code", path)]
    if case.code_from_env:
        server = ServerProcess(
            ["--workers", "2", "--model", str(path)],
            env={**os.environ, "NER_CODE": os.pathsep.join(case.code)},
        )
    else:
        server = ServerProcess(["--workers", "2", "--model", str(path), *code_args])
    try:
        server.wait_serving()
        yield Served(case, path, server, expected, nlp)
    finally:
        server.stop()


def test_unary_answers_equal_spacy_load(served: Served) -> None:
    with NerClient(served.server.address) as client:
        for text, expected in zip(served.case.texts, served.expected, strict=True):
            entities = client.extract(text, timeout=60)
            assert rows(entities) == expected, text
            assert_offsets_slice(text, entities)


def test_batch_answers_equal_spacy_load(served: Served) -> None:
    with NerClient(served.server.address) as client:
        results = client.extract_batch(served.case.texts, timeout=60)
    assert [rows(result.entities) for result in results] == served.expected


def test_stream_answers_equal_spacy_load_in_order(served: Served) -> None:
    documents = [Document(f"d{index}", text) for index, text in enumerate(served.case.texts * 3)]
    with NerClient(served.server.address) as client:
        results = list(client.stream(documents, timeout=120))
    assert [result.id for result in results] == [document.id for document in documents]
    assert [rows(result.entities) for result in results] == served.expected * 3


def test_model_info_names_the_pipeline_and_every_label_it_can_produce(served: Served) -> None:
    with NerClient(served.server.address) as client:
        info = client.model_info(timeout=10)
    assert info.model_name == served.case.model_name
    assert info.model_version == served.nlp.meta["version"]
    assert info.pipeline == served.case.running
    assert set(served.case.rule_labels) <= set(info.labels)
    found = {row[1] for entities in served.expected for row in entities}
    assert found <= set(info.labels) or not served.case.labels_known


def test_the_label_filter_takes_every_label_the_pipeline_produces(served: Served) -> None:
    """A rule's own label first, where the pipeline has rules: the filter once refused those."""
    found = sorted({row[1] for entities in served.expected for row in entities})
    label = served.case.rule_labels[0] if served.case.rule_labels else found[0]
    wanted = [[row for row in entities if row[1] == label] for entities in served.expected]
    assert any(wanted), f"{label} should appear in the texts"
    with NerClient(served.server.address) as client:
        got = [rows(client.extract(text, [label], timeout=60)) for text in served.case.texts]
    assert got == wanted


def test_an_unknown_label_is_refused_unless_the_pipeline_cannot_list_its_labels(served: Served) -> None:
    with NerClient(served.server.address) as client:
        if served.case.labels_known:
            with pytest.raises(grpc.RpcError) as refused:
                client.extract(served.case.texts[0], ["NO_SUCH_LABEL"], timeout=60)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        else:
            assert client.extract(served.case.texts[0], ["NO_SUCH_LABEL"], timeout=60) == []


def test_the_start_log_lists_the_components_that_run_why_and_those_left_out(served: Served) -> None:
    [entry] = [entry for entry in served.server.log if entry.get("message") == "pipeline"]
    assert tuple(entry["running"]) == served.case.running
    assert tuple(entry["left_out"]) == served.case.left_out
    assert list(entry["reasons"]) == list(served.case.running) and all(entry["reasons"].values())
    if served.case.reasons is not None:
        assert entry["reasons"] == served.case.reasons
    warnings = [entry for entry in served.server.log if entry["severity"] in ("WARNING", "ERROR")]
    if served.case.warns_of is None:
        assert warnings == []
    else:
        [warning] = warnings
        assert warning["component"] == [served.case.warns_of]
        assert served.case.warns_of in warning["message"] and served.case.warning_says in warning["message"]
