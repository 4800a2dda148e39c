"""The words a worker keeps (`--keep-words`): kept up to the limit, then nothing more, and the
entities the same either way. In process, on the real model."""

from __future__ import annotations

from typing import Any

import pytest

from tests import texts

LIMIT = 300
WORDS_PER_TEXT = 40


def made_up(index: int) -> str:
    """A text of words no model has seen, each new to the vocabulary."""
    return " ".join(f"Qzv{index}w{word}" for word in range(WORDS_PER_TEXT))


@pytest.fixture()
def fresh_nlp() -> Any:
    from ner_server.worker.loading import load_pipeline

    return load_pipeline("en_core_web_md", "entities", matmul="numpy")


def test_words_are_kept_up_to_the_limit_and_then_each_batch_is_freed(fresh_nlp: Any) -> None:
    from ner_server.worker.recognizer import Recognizer

    vocab, strings = fresh_nlp.vocab, fresh_nlp.vocab.strings
    recognizer = Recognizer(fresh_nlp, keep_words=LIMIT)
    start = len(vocab)
    recognizer.extract([made_up(0)])
    assert len(vocab) == start + WORDS_PER_TEXT  # one lexeme per new word, kept
    for index in range(1, 3 * LIMIT // WORDS_PER_TEXT):
        recognizer.extract([made_up(index), made_up(1000 + index)])
    before = len(strings)
    recognizer.extract([made_up(5000), made_up(5001)])
    assert len(strings) == before  # past the limit: what a batch adds is freed after it
    assert "Qzv0w7" in strings and "Qzv5000w7" not in strings
    kept = sum(f"Qzv{index}w0" in strings for index in [*range(3 * LIMIT), *range(1000, 1000 + 3 * LIMIT)])
    # Whole batches are kept until the limit is reached: the last one may pass it.
    assert LIMIT <= kept * WORDS_PER_TEXT <= LIMIT + 2 * WORDS_PER_TEXT


def test_the_entities_are_the_same_whether_the_words_are_kept_or_not(fresh_nlp: Any, nlp: Any) -> None:
    from ner_server.worker.recognizer import Recognizer

    sample = [document["text"] for document in texts.PARAGRAPHS[:12]]
    keeping = Recognizer(fresh_nlp, keep_words=LIMIT)
    first = keeping.extract(sample)  # the words stay
    second = keeping.extract(sample)  # found in the vocabulary this time
    for index in range(LIMIT // WORDS_PER_TEXT + 1):
        keeping.extract([made_up(index)])
    third = keeping.extract(sample)  # past the limit: in a memory zone
    reference = Recognizer(nlp, keep_words=0).extract(sample)  # spaCy as it comes, a zone per batch
    assert first == second == third == reference
