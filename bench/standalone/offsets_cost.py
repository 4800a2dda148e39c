"""What the UTF-16 offsets cost a worker: the per-document answer with and without them, same run.

Runs the model (as the server loads it: `--pipeline entities`, numpy matmul, one BLAS thread) once over
each corpus and keeps the Docs. Then it times what a worker does after the model for every Doc:
the entity records, the protobuf entities and the serialized answer,
  with     the server's code (`recognizer._records`, `runner.entity_messages`): code point, UTF-8 and UTF-16
           offsets
  without  the same steps with code point and UTF-8 offsets only (the code before UTF-16 offsets,
           kept here as the baseline)
over the paragraphs and the long documents, and over both again with an emoji in front of every
text (so no text takes the ASCII or the Basic Multilingual Plane shortcut). The two run document
by document, in turn, the order swapped at every run, `--repeats` times each, and the fastest run
of each counts, so a busy machine slows both alike and a run the scheduler interrupted does not
count; each of `--rounds` passes over a corpus gives one ratio. Prints a table (median microseconds per
document, the difference, that difference as a share of the model's own time per document, and
the median ratio) and writes `offsets_cost.json` to a new folder `bench/results/<UTC time>-offsets-cost/`.
Backs docs/benchmarks.md, "UTF-16 offsets" (the table of microseconds per document).

    .venv/bin/python -m bench.standalone.offsets_cost [--rounds 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from ner_client.proto import ner_pb2
from ner_server.shared.worker_config import MODEL_PROCESS_ENV
from ner_server.worker.loading import STANDARD_MODEL, load_pipeline
from ner_server.worker.recognizer import _records
from ner_server.worker.runner import entity_messages

from bench import corpus
from bench.corpus import ROOT
from bench.results_folder import new_folder

EMOJI = "🎉 "


class _RecordWithout(NamedTuple):
    text: str
    label: str
    start_char: int
    end_char: int
    start_byte: int
    end_byte: int
    start_token: int
    end_token: int


def _byte_offsets(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    if text.isascii():
        return list(spans)
    converted = []
    position = byte_position = 0
    for start, end in spans:
        start_byte = byte_position + len(text[position:start].encode("utf-8", "surrogatepass"))
        end_byte = start_byte + len(text[start:end].encode("utf-8", "surrogatepass"))
        converted.append((start_byte, end_byte))
        position, byte_position = end, end_byte
    return converted


def _records_without(text: str, ents: Sequence[Any]) -> Iterator[_RecordWithout]:
    starts_ends = [(ent.start_char, ent.end_char) for ent in ents]
    for ent, (start_byte, end_byte) in zip(ents, _byte_offsets(text, starts_ends), strict=True):
        yield _RecordWithout(
            ent.text, ent.label_, ent.start_char, ent.end_char, start_byte, end_byte, ent.start, ent.end
        )


def _entities_without(records: list[_RecordWithout], labels: frozenset[str] | None) -> list[Any]:
    return [
        ner_pb2.Entity(
            text=r.text,
            label=r.label,
            start_char=r.start_char,
            end_char=r.end_char,
            start_byte=r.start_byte,
            end_byte=r.end_byte,
            start_token=r.start_token,
            end_token=r.end_token,
        )
        for r in records
        if labels is None or r.label in labels
    ]


def answer_without(doc: Any) -> bytes:
    entities = _entities_without(list(_records_without(doc.text, doc.ents)), None)
    serialized: bytes = ner_pb2.ExtractEntitiesResponse(entities=entities).SerializeToString()
    return serialized


def answer_with(doc: Any) -> bytes:
    entities = entity_messages(list(_records(doc.text, doc.ents)), None)
    serialized: bytes = ner_pb2.ExtractEntitiesResponse(entities=entities).SerializeToString()
    return serialized


def paired_pass(docs: Sequence[Any], swap: int, repeats: int) -> tuple[float, float]:
    """Seconds per document with and without UTF-16 offsets: on each Doc the two run in turn,
    `repeats` times each, and the fastest of each counts (a run the scheduler interrupted does not)."""
    total = {answer_with: 0.0, answer_without: 0.0}
    clock = time.perf_counter
    for index, doc in enumerate(docs):
        fastest = {answer_with: float("inf"), answer_without: float("inf")}
        for repeat in range(repeats):
            pair = (
                (answer_with, answer_without)
                if (index + swap + repeat) % 2
                else (answer_without, answer_with)
            )
            for answer in pair:
                started = clock()
                answer(doc)
                fastest[answer] = min(fastest[answer], clock() - started)
        for answer, seconds in fastest.items():
            total[answer] += seconds
    return total[answer_with] / len(docs), total[answer_without] / len(docs)


def measure(name: str, texts: Sequence[str], nlp: Any, rounds: int, repeats: int) -> dict[str, Any]:
    list(nlp.pipe(texts[:20], batch_size=16))  # warm-up
    started = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=16))
    model_per_doc = (time.perf_counter() - started) / len(docs)
    for doc in docs:  # the same answers but for the two new fields
        answered = ner_pb2.ExtractEntitiesResponse.FromString(answer_with(doc))
        for entity in answered.entities:
            entity.ClearField("start_utf16")
            entity.ClearField("end_utf16")
        assert answered.SerializeToString() == answer_without(doc)
    times: dict[str, list[float]] = {"with": [], "without": []}
    for round_number in range(rounds):
        with_seconds, without_seconds = paired_pass(docs, round_number, repeats)
        times["with"].append(with_seconds)
        times["without"].append(without_seconds)
    with_us = statistics.median(times["with"]) * 1e6
    without_us = statistics.median(times["without"]) * 1e6
    ratios = [a / b for a, b in zip(times["with"], times["without"], strict=True)]
    return {
        "corpus": name,
        "documents": len(docs),
        "entities": sum(len(doc.ents) for doc in docs),
        "non_ascii_documents": sum(not text.isascii() for text in texts),
        "model_us_per_doc": round(model_per_doc * 1e6, 1),
        "with_us_per_doc": round(with_us, 2),
        "without_us_per_doc": round(without_us, 2),
        "difference_us_per_doc": round(with_us - without_us, 2),
        "difference_share_of_model": round((with_us - without_us) / (model_per_doc * 1e6), 5),
        "median_round_ratio": round(statistics.median(ratios), 4),
        "round_ratios": [round(r, 4) for r in ratios],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="paired passes over each corpus")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each variant per Doc and pass")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in MODEL_PROCESS_ENV.items() if k.endswith("NUM_THREADS")})
    nlp = load_pipeline(STANDARD_MODEL, "entities", matmul="numpy")
    paragraphs = corpus.load(corpus.PARAGRAPHS).texts
    long_documents = corpus.load(corpus.LONG).texts
    sets = {
        "paragraphs": paragraphs,
        "long documents": long_documents,
        "paragraphs, emoji first": tuple(EMOJI + text for text in paragraphs),
        "long documents, emoji first": tuple(EMOJI + text for text in long_documents),
    }
    results = [measure(name, texts, nlp, args.rounds, args.repeats) for name, texts in sets.items()]
    print(f"worker answer after the model, median of {args.rounds} paired passes (us per document)")
    print(f"{'corpus':<30}{'docs':>6}{'model':>10}{'without':>10}{'with':>10}", end="")
    print(f"{'diff':>8}{'of model':>10}{'ratio':>8}")
    for r in results:
        print(
            f"{r['corpus']:<30}{r['documents']:>6}{r['model_us_per_doc']:>10.0f}{r['without_us_per_doc']:>10.1f}"
            f"{r['with_us_per_doc']:>10.1f}{r['difference_us_per_doc']:>8.2f}"
            f"{100 * r['difference_share_of_model']:>9.2f}%{r['median_round_ratio']:>8.3f}"
        )
    results_file = new_folder("offsets-cost") / "offsets_cost.json"
    results_file.write_text(
        json.dumps({"rounds": args.rounds, "repeats": args.repeats, "results": results}, indent=2)
    )
    print(f"wrote {results_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
