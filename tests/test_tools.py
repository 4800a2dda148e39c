"""The service as users poke it: grpcurl through reflection (no proto files) and ghz."""

from __future__ import annotations

import json
import subprocess

from tests import texts
from tests.conftest import ROOT, require_tool

SERVICE = "ner.v1.NerService"
REFLECTION = ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")


def grpcurl(server, *args: str, stdin: str | None = None) -> str:
    command = [require_tool("grpcurl"), "-plaintext", *args]
    if args and args[0] not in ("list", "describe"):
        command = [*command[:-1], server.address, command[-1]]
    else:
        command = [*command[:2], server.address, *args]
    completed = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_grpcurl_lists_services_through_reflection(server) -> None:
    listed = grpcurl(server, "list").split()
    assert {SERVICE, "grpc.health.v1.Health", *REFLECTION} <= set(listed)


def test_grpcurl_describes_both_reflection_services(server) -> None:
    for name in REFLECTION:
        described = grpcurl(server, "describe", name)
        package = name.rsplit(".", 1)[0]
        assert f"stream .{package}.ServerReflectionRequest" in described, described


def test_grpcurl_describes_the_service_and_messages(server) -> None:
    described = grpcurl(server, "describe", SERVICE)
    for rpc in ("ExtractEntities", "BatchExtractEntities", "StreamExtractEntities", "GetModelInfo"):
        assert f"rpc {rpc}" in described
    entity = grpcurl(server, "describe", "ner.v1.Entity")
    assert "start_byte" in entity and "end_token" in entity and "end_utf16" in entity


def test_grpcurl_unary_call_returns_entities(server) -> None:
    text = "Marie Curie moved to Paris in 1891."
    output = grpcurl(server, "-d", json.dumps({"text": text}), f"{SERVICE}/ExtractEntities")
    entities = json.loads(output)["entities"]
    assert {"text": "Paris", "label": "GPE"}.items() <= next(
        e for e in entities if e["text"] == "Paris"
    ).items()
    for entity in entities:
        assert text[entity.get("start_char", 0) : entity["end_char"]] == entity["text"]


def test_grpcurl_streams_documents_from_stdin_in_order(server) -> None:
    documents = texts.PARAGRAPHS[:25]
    stdin = "\n".join(json.dumps({"document": {"id": d["id"], "text": d["text"]}}) for d in documents)
    output = grpcurl(server, "-d", "@", f"{SERVICE}/StreamExtractEntities", stdin=stdin)
    decoder = json.JSONDecoder()
    results, position = [], 0
    while position < len(output.strip()):
        message, end = decoder.raw_decode(output, position)
        results.append(message["result"])
        position = end + 1
        while position < len(output) and output[position].isspace():
            position += 1
    assert [r["id"] for r in results] == [d["id"] for d in documents]
    assert sum(len(r.get("entities", [])) for r in results) > 25


def ghz(*args: str) -> dict:  # type: ignore[type-arg]
    command = [require_tool("ghz"), "--insecure", "--format", "json", *args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def test_ghz_unary_run_has_no_errors(server, tmp_path) -> None:
    data = tmp_path / "requests.json"
    data.write_text(json.dumps([{"text": d["text"]} for d in [*texts.PARAGRAPHS, *texts.DOCUMENTS]]))
    report = ghz(
        "--proto", str(ROOT / "protos/ner/v1/ner.proto"), "--import-paths", str(ROOT / "protos"),
        "--call", f"{SERVICE}.ExtractEntities", "--data-file", str(data),
        "--concurrency", "8", "--total", "200", server.address,
    )  # fmt: skip
    assert report["count"] == 200
    assert report["statusCodeDistribution"] == {"OK": 200}
    assert not report.get("errorDistribution")


def test_ghz_streaming_run_through_reflection_has_no_errors(server, tmp_path) -> None:
    data = tmp_path / "stream.json"
    data.write_text(
        json.dumps([{"document": {"id": d["id"], "text": d["text"]}} for d in texts.PARAGRAPHS[:20]])
    )
    report = ghz(
        "--call", f"{SERVICE}.StreamExtractEntities", "--data-file", str(data),
        "--concurrency", "4", "--total", "20", server.address,
    )  # fmt: skip
    assert report["count"] == 20
    assert report["statusCodeDistribution"] == {"OK": 20}
