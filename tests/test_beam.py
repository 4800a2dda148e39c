"""`ner_client.beam` in an environment like a Dataflow worker's, against real servers.

The pipeline runs as `python -m ner_client.beam` in `.venv-beam` (`make setup`: the client with its
beam extra on the oldest protobuf it accepts, no server, no spaCy), on Beam's local runner over
two processes. Its records are compared with `ner-tag`'s for the same input, bad documents must
land in the dead letters and only there, a balanced instance SIGKILLed while it holds a call must
cost nothing, and a service that never answers must fail the pipeline with one line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest

from scripts.balancer import Nginx, nginx_binary
from tests import texts
from tests.certs import Authority, CertFiles, write_set
from tests.conftest import ROOT, unavailable
from tests.scrape import free_port
from tests.support import ServerProcess, recorded_facts, stopped, unread_bytes, wait_until
from tests.tag_support import kill_server_tree, read_jsonl, run_tag, with_extra_fields, write_jsonl
from tests.test_balancer import Instance

BEAM_PYTHON = ROOT / ".venv-beam" / "bin" / "python"
LOCAL_WORKERS = ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]
DOCUMENTS = 2000
#: The documents of the SIGKILL runs, parts of the same input.
KILL_RUN = 600
WORKER_RUN = 200
TLS_RUN = 50
BAD = [
    {"id": "empty", "text": ""},
    {"id": "too-long", "text": "Ada " * 25_001},
]
REPORT = ROOT / "build" / "beam.json"


@pytest.fixture(scope="module")
def measured() -> Iterator[dict[str, Any]]:
    yield from recorded_facts(REPORT)


@pytest.fixture(scope="module", autouse=True)
def beam_environment() -> None:
    if not BEAM_PYTHON.exists():
        unavailable(".venv-beam is missing (make setup builds it)")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return with_extra_fields(texts.rows(DOCUMENTS))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]) -> Path:
    """The input: good documents, with the bad ones and a line that is not JSON among them."""
    path = write_jsonl(tmp_path_factory.mktemp("beam") / "corpus.jsonl", rows[:700] + BAD + rows[700:])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("this line is not JSON\n")
    return path


@pytest.fixture(scope="module")
def reference(server: ServerProcess, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ner-tag`'s output for the same input (its errors beside it)."""
    output = tmp_path_factory.mktemp("ner-tag") / "tagged.jsonl"
    completed = run_tag([str(corpus), "-t", server.address, "-o", str(output), "-q"], timeout=300)
    assert completed.returncode == 1, completed.stderr  # 1: some documents failed, as they must
    return output


def run_pipeline(
    target: str, inputs: Sequence[Path | str], out: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        pipeline_command(target, inputs, out, *extra), capture_output=True, text=True, timeout=300
    )


def pipeline_command(target: str, inputs: Sequence[Path | str], out: Path, *extra: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    command = [str(BEAM_PYTHON), "-m", "ner_client.beam", "--target", target]
    for pattern in inputs:
        command += ["--input", str(pattern)]
    return [
        *command,
        "--output",
        str(out / "tagged"),
        "--errors",
        str(out / "errors"),
        *LOCAL_WORKERS,
        *extra,
    ]


def shards(out: Path, name: str) -> list[dict[str, Any]]:
    found = sorted(out.glob(f"{name}-*-of-*.jsonl"))
    assert found, f"no {name} shards in {out}"
    return [row for path in found for row in read_jsonl(path)]


def canonical(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Rows as a sorted list of JSON texts: Beam writes its shards in no order."""
    return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)


def summary(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_the_pipeline_writes_the_records_ner_tag_writes(
    server: ServerProcess, corpus: Path, reference: Path, tmp_path: Path, measured: dict[str, Any]
) -> None:
    completed = run_pipeline(server.address, [corpus], tmp_path)
    assert completed.returncode == 0, completed.stderr
    tagged = shards(tmp_path, "tagged")
    assert len(tagged) == DOCUMENTS
    assert canonical(tagged) == canonical(read_jsonl(reference))
    measured["records"] = {"documents": DOCUMENTS, "summary": summary(completed.stderr)}
    assert summary(completed.stderr).startswith(f"ner_client.beam: {DOCUMENTS} documents")


def test_bad_documents_land_in_the_dead_letters_and_only_there(
    server: ServerProcess, corpus: Path, reference: Path, tmp_path: Path
) -> None:
    completed = run_pipeline(server.address, [corpus], tmp_path, "--batch-documents", "64")
    assert completed.returncode == 0, completed.stderr
    failed = {row["id"]: row for row in shards(tmp_path, "errors")}
    assert set(failed) == {"empty", "too-long", str(corpus)}
    assert failed[str(corpus)]["code"] == "INVALID_ARGUMENT"
    assert "not JSON" in failed[str(corpus)]["message"]
    # The refused documents carry the code and message ner-tag reports for them.
    by_ner_tag = {row["id"]: row for row in read_jsonl(Path(f"{reference}.errors.jsonl"))}
    for name in ("empty", "too-long"):
        assert failed[name] == by_ner_tag[name]
    tagged_ids = {row["id"] for row in shards(tmp_path, "tagged")}
    assert not tagged_ids & set(failed)
    assert len(tagged_ids) == DOCUMENTS


def test_text_files_are_one_document_each_with_their_path_as_id(
    server: ServerProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    for row in texts.PARAGRAPHS[:5]:
        (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    (folder / "blank.txt").write_text("", encoding="utf-8")
    paths = sorted(str(path) for path in folder.iterdir())
    expected = tmp_path / "ner-tag.jsonl"
    run_tag([*paths, "-t", server.address, "-o", str(expected), "-q"])
    completed = run_pipeline(server.address, [folder / "*.txt"], tmp_path / "out")
    assert completed.returncode == 0, completed.stderr
    assert canonical(shards(tmp_path / "out", "tagged")) == canonical(read_jsonl(expected))
    [failed] = shards(tmp_path / "out", "errors")
    assert failed["id"] == str(folder / "blank.txt")


@pytest.fixture(scope="module")
def instances() -> Iterator[list[Instance]]:
    if nginx_binary() is None:
        unavailable("nginx is not installed (make setup puts it into .tools/bin)")
    started: list[Instance] = []
    try:
        for _ in range(3):
            started.append(Instance())
        yield started
    finally:
        for instance in started:
            instance.stop()


def test_an_instance_killed_mid_run_costs_no_document_and_repeats_none(
    instances: list[Instance],
    rows: list[dict[str, Any]],
    reference: Path,
    tmp_path: Path,
    measured: dict[str, Any],
) -> None:
    part = write_jsonl(tmp_path / "part.jsonl", rows[:KILL_RUN])
    ids = {row["id"] for row in rows[:KILL_RUN]}
    no_fault = [row for row in read_jsonl(reference) if row["id"] in ids]
    survivors, victim = instances[:2], instances[2]
    before = [instance.answered() for instance in survivors]
    nginx = Nginx([instance.upstream for instance in instances])
    out = tmp_path / "out"
    command = pipeline_command(nginx.address, [part], out, "--batch-documents", "16")
    try:
        # The victim's worker is held still: the first call the balancer gives the victim waits
        # there, and the instance dies with that call in flight.
        [worker] = victim.worker_pids()
        with stopped([worker]):
            job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_until(
                lambda: unread_bytes(worker) > 0 or job.poll() is not None, 240, "a call on the victim"
            )
            assert job.poll() is None, "the pipeline ended before the balancer gave the victim a call"
            kill_server_tree(victim)
        _, stderr = job.communicate(timeout=300)
    finally:
        nginx.stop()
    assert job.returncode == 0, stderr
    tagged = shards(out, "tagged")
    copies = Counter(row["id"] for row in tagged)
    assert set(copies) == ids and set(copies.values()) == {1}
    assert canonical(tagged) == canonical(no_fault)
    spread = [instance.answered() - was for instance, was in zip(survivors, before, strict=True)]
    measured["killed"] = {"documents": KILL_RUN, "survivors_answered": spread, "summary": summary(stderr)}
    retries = int(summary(stderr).rsplit(", ", 1)[1].split()[0])
    assert retries > 0, summary(stderr)


def test_documents_of_a_worker_killed_mid_batch_are_sent_again(
    rows: list[dict[str, Any]], reference: Path, tmp_path: Path
) -> None:
    part = write_jsonl(tmp_path / "part.jsonl", rows[:WORKER_RUN])
    ids = {row["id"] for row in rows[:WORKER_RUN]}
    no_fault = [row for row in read_jsonl(reference) if row["id"] in ids]
    server = ServerProcess(["--workers", "1"])
    out = tmp_path / "out"
    try:
        server.wait_serving()
        # The call is answered, but its documents carry UNAVAILABLE: their worker died holding them.
        [worker] = server.worker_pids()
        with stopped([worker]):
            command = pipeline_command(server.address, [part], out, "--batch-documents", "16")
            job = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_until(
                lambda: unread_bytes(worker) > 0 or job.poll() is not None, 240, "a batch on the worker"
            )
            assert job.poll() is None, "the pipeline ended before the worker got a batch"
            os.kill(worker, signal.SIGKILL)
        _, stderr = job.communicate(timeout=300)
    finally:
        server.stop()
    assert job.returncode == 0, stderr
    tagged = shards(out, "tagged")
    assert Counter(row["id"] for row in tagged) == Counter(ids)
    assert canonical(tagged) == canonical(no_fault)
    assert int(summary(stderr).rsplit(", ", 1)[1].split()[0]) > 0, summary(stderr)


def test_no_service_fails_the_pipeline_with_one_line_after_the_retry_budget(
    corpus: Path, tmp_path: Path, measured: dict[str, Any]
) -> None:
    started = time.monotonic()
    completed = run_pipeline(f"127.0.0.1:{free_port()}", [corpus], tmp_path, "--retry-budget", "3")
    measured["unreachable_seconds"] = round(time.monotonic() - started, 1)
    assert completed.returncode == 2, completed.stderr
    last = summary(completed.stderr)
    assert last.startswith("ner_client.beam: ner.v1.NerService at 127.0.0.1:"), last
    assert "answered nothing for 3 s (the retry budget): UNAVAILABLE" in last


PAIRS_PIPELINE = """
import json, sys
import apache_beam as beam
from ner_client.beam import ConnectionSettings, TagEntities

pairs = [("a", "Ada Lovelace was born in London."), (7, "Paris is in France."), ("b", "")]
with beam.Pipeline(runner="FnApiRunner") as pipeline:
    results = pipeline | beam.Create(pairs) | TagEntities(ConnectionSettings(sys.argv[1]), ["GPE"])
    results.tagged | "T" >> beam.Map(lambda kv: print("tagged", json.dumps(kv)))
    results.failed | "F" >> beam.Map(lambda row: print("failed", json.dumps(row)))
"""


def test_key_text_pairs_come_back_keyed_with_only_the_labels_asked_for(server: ServerProcess) -> None:
    completed = subprocess.run(
        [str(BEAM_PYTHON), "-c", PAIRS_PIPELINE, server.address], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    printed = [line.split(" ", 1) for line in completed.stdout.splitlines()]
    tagged = {
        json.dumps(key): record
        for kind, row in printed
        if kind == "tagged"
        for key, record in [json.loads(row)]
    }
    failed = [json.loads(row) for kind, row in printed if kind == "failed"]
    assert set(tagged) == {'"a"', "7"}
    assert tagged['"a"']["id"] == "a"
    assert [entity["text"] for entity in tagged['"a"']["entities"]] == ["London"]
    assert [entity["text"] for entity in tagged["7"]["entities"]] == ["Paris", "France"]
    assert failed == [{"id": "b", "code": "INVALID_ARGUMENT", "message": "document.text: must not be empty"}]


def test_the_pipeline_tags_over_mutual_tls_with_the_clients_files(
    rows: list[dict[str, Any]], reference: Path, tmp_path: Path
) -> None:
    files = write_set(tmp_path / "tls", Authority("beam test CA"))
    server = ServerProcess(
        ["--workers", "1", *_server_tls(files)],
        credentials=grpc.ssl_channel_credentials(
            files.ca.read_bytes(), files.client_key.read_bytes(), files.client_cert.read_bytes()
        ),
    )
    part = write_jsonl(tmp_path / "part.jsonl", rows[:TLS_RUN])
    ids = {row["id"] for row in rows[:TLS_RUN]}
    tls = [
        "--ca-file",
        str(files.ca),
        "--cert-file",
        str(files.client_cert),
        "--key-file",
        str(files.client_key),
    ]
    try:
        server.wait_serving(120)
        completed = run_pipeline(server.address, [part], tmp_path / "out", *tls)
    finally:
        server.stop()
    assert completed.returncode == 0, completed.stderr
    no_fault = [row for row in read_jsonl(reference) if row["id"] in ids]
    assert canonical(shards(tmp_path / "out", "tagged")) == canonical(no_fault)


def _server_tls(files: CertFiles) -> list[str]:
    return [
        "--tls-cert",
        str(files.server_cert),
        "--tls-key",
        str(files.server_key),
        "--tls-client-ca",
        str(files.ca),
    ]


def test_unknown_labels_fail_the_pipeline_with_the_services_message(
    server: ServerProcess, tmp_path: Path
) -> None:
    part = write_jsonl(tmp_path / "part.jsonl", texts.rows(3))
    completed = run_pipeline(server.address, [part], tmp_path / "out", "--labels", "PERSON,NOT_A_LABEL")
    assert completed.returncode == 2, completed.stderr
    last = summary(completed.stderr)
    assert last.startswith("ner_client.beam: ner.v1.NerService at "), last
    assert "refused the job: INVALID_ARGUMENT: labels: unknown label(s) NOT_A_LABEL" in last


def test_the_client_runs_on_the_oldest_protobuf_it_accepts(server: ServerProcess) -> None:
    program = (
        "import google.protobuf, ner_client;"
        "print(google.protobuf.__version__);"
        f"print(len(ner_client.NerClient('{server.address}').extract('Ada Lovelace was born in London.')))"
    )
    completed = subprocess.run(
        [str(BEAM_PYTHON), "-W", "error", "-c", program], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    version, found = completed.stdout.split()
    assert version == "6.31.1"
    assert int(found) >= 2
