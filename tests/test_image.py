"""The container image: the unmodified Dockerfile built with buildah and run with podman.

`scripts/image/build.sh` installs podman, buildah, runc and debootstrap when missing, builds the
stand-in `python:3.12-slim` base and then the Dockerfile. The container runs with the host's
network and `PORT` set, as Cloud Run runs it, and is called from this process with `ner_client`.

Runs in CI (`CI` set) and under `make image-test`; elsewhere it is skipped, since the first build
takes several minutes. Facts measured on the way (image size, start to SERVING, memory, stop
time) are written to build/image-test.json.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ner_client import NerClient

from tests import own_pipelines as made
from tests import texts
from tests.conftest import ROOT
from tests.reference import expected_rows, rows
from tests.support import recorded_facts

IMAGE = "localhost/ner-grpc:image-test"
PODMAN = ROOT / "scripts" / "image" / "podman.sh"
BUILD = ROOT / "scripts" / "image" / "build.sh"
REPORT = ROOT / "build" / "image-test.json"
STOP_GRACE_SECONDS = 10

pytestmark = [
    pytest.mark.timeout(1500),
    pytest.mark.skipif(
        not (os.environ.get("CI") or os.environ.get("NER_IMAGE_TEST")),
        reason="the image check runs in CI and under `make image-test` (NER_IMAGE_TEST=1)",
    ),
]


def podman(*args: str, timeout: float = 60) -> str:
    done = subprocess.run([str(PODMAN), *args], capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health_status(address: str, service: str) -> int | None:
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=2
            )
        except grpc.RpcError:
            return None
        return response.status


@dataclass
class Container:
    name: str
    port: int
    facts: dict[str, Any]

    @property
    def address(self) -> str:
        return f"localhost:{self.port}"

    def log(self) -> list[dict[str, Any]]:
        # podman logs writes the container's stdout to its own stdout.
        return [json.loads(line) for line in podman("logs", self.name).splitlines() if line.strip()]

    def start_to_serving(self) -> float:
        """From the container's process start to its `serving` log line (the server's cold start)."""
        started_ns = int(podman("inspect", "--format", "{{.State.StartedAt.UnixNano}}", self.name))
        serving = next(entry for entry in self.log() if entry["message"] == "serving")
        serving_at = datetime.fromisoformat(serving["time"]).timestamp()
        return round(serving_at - started_ns / 1e9, 2)

    def memory_bytes(self, name: str) -> int:
        """A cgroup memory figure from inside the container (v1 and v2 names)."""
        v1 = {"current": "memory.usage_in_bytes", "peak": "memory.max_usage_in_bytes"}[name]
        script = f"cat /sys/fs/cgroup/memory/{v1} 2>/dev/null || cat /sys/fs/cgroup/memory.{name}"
        return int(podman("exec", self.name, "sh", "-c", script))


@pytest.fixture(scope="module")
def facts() -> Iterator[dict[str, Any]]:
    """What the tests measured, written to build/image-test.json at the end."""
    yield from recorded_facts(REPORT)


@pytest.fixture(scope="module")
def image(facts: dict[str, Any]) -> str:
    started = time.monotonic()
    built = subprocess.run([str(BUILD), IMAGE], capture_output=True, text=True, timeout=1200, check=False)
    if built.returncode != 0:
        pytest.fail(f"the image did not build:\n{built.stdout[-6000:]}\n{built.stderr[-6000:]}")
    facts["build_seconds"] = round(time.monotonic() - started, 1)
    facts["image_bytes"] = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE))
    return IMAGE


def run_until_serving(image: str, name: str, facts: dict[str, Any], *podman_args: str) -> Container:
    """A container of `image` on the host's network with PORT set, once it reports SERVING."""
    running = Container(name=f"{name}-{os.getpid()}", port=free_port(), facts=facts)
    podman("rm", "--force", "--ignore", running.name)
    podman(
        "run", "--detach", "--name", running.name, "--network", "host",
        "--env", f"PORT={running.port}", *podman_args, image,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while health_status(running.address, "ner.v1.NerService") != health_pb2.HealthCheckResponse.SERVING:
        if time.monotonic() > deadline:
            pytest.fail("the container never reported SERVING:\n" + podman("logs", running.name))
        time.sleep(0.1)
    return running


@pytest.fixture(scope="module")
def container(image: str, facts: dict[str, Any]) -> Iterator[Container]:
    started = time.monotonic()
    running = run_until_serving(image, "ner-image-test", facts, "--env", "NER_WORKERS=2")
    running.facts["podman_run_to_serving_seconds"] = round(time.monotonic() - started, 2)
    running.facts["process_start_to_serving_seconds"] = running.start_to_serving()
    running.facts["memory_idle_bytes"] = running.memory_bytes("current")
    yield running
    podman("rm", "--force", "--ignore", running.name)


def test_container_listens_on_port_from_env_and_reports_serving(container: Container) -> None:
    for service in ("", "ner.v1.NerService"):
        assert health_status(container.address, service) == health_pb2.HealthCheckResponse.SERVING
    listening = next(entry for entry in container.log() if entry["message"] == "listening")
    assert listening["port"] == container.port
    assert listening["workers"] == 2


def test_container_answers_equal_in_process_spacy(container: Container, nlp: Any) -> None:
    singles = [item["text"] for item in texts.PARAGRAPHS[:40]]
    paragraphs = [item["text"] for item in texts.rows(500)]
    documents = [item["text"] for item in texts.DOCUMENTS]
    with NerClient(container.address) as client:
        assert [rows(client.extract(text)) for text in singles] == expected_rows(nlp, singles)
        batch = client.extract_batch(paragraphs[:500])
        assert [rows(result.entities) for result in batch] == expected_rows(nlp, paragraphs[:500])
        streamed = list(client.stream(documents))
        assert [rows(result.entities) for result in streamed] == expected_rows(nlp, documents)
        info = client.model_info()
        assert (info.model_name, info.model_version, info.workers) == ("en_core_web_md", "3.8.0", 2)
    container.facts["memory_after_load_bytes"] = container.memory_bytes("current")
    container.facts["memory_peak_bytes"] = container.memory_bytes("peak")


def test_an_image_built_around_a_users_pipeline_serves_that_pipeline(
    image: str, tmp_path: Path, facts: dict[str, Any]
) -> None:
    """The build context `make deploy MODEL_DIR=...` hands Cloud Build, built here with buildah."""
    import spacy

    pipeline = made.blank_entity_ruler(tmp_path)
    pipeline = pipeline.rename(tmp_path / "my_pipeline")
    context = tmp_path / "context"
    subprocess.run(
        ["make", "-s", "deploy-pipeline-context", f"MODEL_DIR={pipeline}", f"PIPELINE_CONTEXT={context}",
         f"IMAGE={image}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    tag = "localhost/ner-grpc:own-pipeline-test"
    started = time.monotonic()
    podman("buildah", "bud", "--isolation", "chroot", "--pull=never", "--tag", tag, str(context), timeout=600)
    facts["own_pipeline_build_seconds"] = round(time.monotonic() - started, 1)
    running = run_until_serving(tag, "ner-own-pipeline", facts)
    try:
        nlp = spacy.load(pipeline)
        with NerClient(running.address) as client:
            info = client.model_info()
            answers = [rows(client.extract(text)) for text in made.COMPANY_TEXTS]
        assert info.pipeline == ("entity_ruler",)
        assert set(info.labels) == {"ORG", "PRODUCT_LINE"}
        assert answers == expected_rows(nlp, made.COMPANY_TEXTS)
        assert any(row[1] == "PRODUCT_LINE" for entities in answers for row in entities)
    finally:
        podman("rm", "--force", "--ignore", running.name)


def test_container_runs_as_non_root_user(container: Container) -> None:
    status = podman("exec", container.name, "cat", "/proc/1/status")
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert uids and all(uid != "0" for uid in uids)
    assert podman("image", "inspect", "--format", "{{.Config.User}}", IMAGE) == "10001:10001"


def test_image_holds_no_compiler_pip_or_source_tree(container: Container) -> None:
    script = "for p in gcc cc /opt/venv/bin/pip /root/.cache/pip /src; do command -v $p || ls -d $p; done"
    found = podman("exec", container.name, "sh", "-c", f"{script} 2>/dev/null; true")
    assert found == ""


def test_container_logs_one_json_object_per_line_with_severity(container: Container) -> None:
    raw = podman("logs", container.name).splitlines()
    assert raw
    for line in raw:
        entry = json.loads(line)
        assert entry["severity"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert isinstance(entry["message"], str)


def test_container_stops_on_sigterm_inside_the_grace_with_exit_0(container: Container) -> None:
    started = time.monotonic()
    podman("stop", "--time", str(STOP_GRACE_SECONDS), container.name, timeout=STOP_GRACE_SECONDS + 30)
    seconds = time.monotonic() - started
    container.facts["stop_seconds"] = round(seconds, 2)
    assert podman("inspect", "--format", "{{.State.ExitCode}}", container.name) == "0"
    assert seconds < STOP_GRACE_SECONDS / 2, "SIGTERM should stop an idle server at once, not at SIGKILL"
    messages = [entry["message"] for entry in container.log()]
    assert messages[-2:] == ["shutting down", "stopped"]
