"""The gateway's image: the Dockerfile's `gateway` target built with buildah and run with podman,
as `scripts/image/build.sh` builds the server's (tests/test_image.py). It holds the client and
the gateway only, starts listening on `PORT`, answers JSON as the gRPC service does, and stops
on SIGTERM within Cloud Run's ten seconds.

Runs in CI (`CI` set) and under `make image-test`; elsewhere it is skipped. Facts measured on the
way go to build/gateway-image-test.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import json_format
from ner_client.proto import ner_pb2

from tests.conftest import ROOT
from tests.gateway_support import http
from tests.scrape import free_port
from tests.support import ServerProcess, recorded_facts, wait_until

IMAGE = "localhost/ner-web:image-test"
PODMAN = ROOT / "scripts" / "image" / "podman.sh"
BUILD = ROOT / "scripts" / "image" / "build.sh"
REPORT = ROOT / "build" / "gateway-image-test.json"

pytestmark = [
    pytest.mark.timeout(900),
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


@pytest.fixture(scope="module")
def facts() -> Iterator[dict[str, Any]]:
    yield from recorded_facts(REPORT)


@pytest.fixture(scope="module")
def image(facts: dict[str, Any]) -> str:
    started = time.monotonic()
    built = subprocess.run(
        [str(BUILD), IMAGE],
        env={**os.environ, "TARGET": "gateway"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if built.returncode != 0:
        pytest.fail(f"the gateway image did not build:\n{built.stdout[-6000:]}\n{built.stderr[-6000:]}")
    facts["build_seconds"] = round(time.monotonic() - started, 1)
    facts["image_bytes"] = int(podman("image", "inspect", "--format", "{{.Size}}", IMAGE))
    return IMAGE


def test_the_image_holds_the_gateway_and_no_model(image: str) -> None:
    probe = (
        "import importlib.util as u, json; print(json.dumps({m: u.find_spec(m) is not None for m in "
        "('spacy', 'thinc', 'ner_server', 'en_core_web_md', 'connectrpc', 'hypercorn', 'google.auth')}))"
    )
    found = json.loads(podman("run", "--rm", "--entrypoint", "/opt/venv/bin/python", image, "-c", probe))
    assert found == {
        "spacy": False,
        "thinc": False,
        "ner_server": False,
        "en_core_web_md": False,
        "connectrpc": True,
        "hypercorn": True,
        "google.auth": True,
    }


def test_the_container_answers_json_as_the_service_does_and_stops_on_sigterm(
    image: str, server: ServerProcess, stub, facts: dict[str, Any]
) -> None:
    port, name = free_port(), f"ner-web-image-test-{os.getpid()}"
    podman("rm", "--force", "--ignore", name)
    started = time.monotonic()
    podman(
        "run", "--detach", "--name", name, "--network", "host", "--env", f"PORT={port}",
        "--env", f"NER_WEB_TARGET={server.address}", image,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 120, "the gateway container answering")
        facts["podman_run_to_answering_seconds"] = round(time.monotonic() - started, 2)
        assert http(f"{url}/healthz").json()["status"] == "SERVING"
        text = "Ada Lovelace was born in London in 1815."
        answer = http(
            f"{url}/ner.v1.NerService/ExtractEntities",
            json.dumps({"text": text}).encode(),
            {"Content-Type": "application/json"},
        )
        direct = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text), timeout=30)
        assert json_format.ParseDict(answer.json(), ner_pb2.ExtractEntitiesResponse()) == direct
        stopping = time.monotonic()
        podman("stop", "--time", "10", name, timeout=30)
        facts["stop_seconds"] = round(time.monotonic() - stopping, 2)
        assert facts["stop_seconds"] < 10
        assert podman("inspect", "--format", "{{.State.ExitCode}}", name) == "0"
        log = [json.loads(line) for line in podman("logs", name).splitlines() if line.startswith("{")]
        messages = [entry["message"] for entry in log]
        assert messages[-1] == "stopped" and "draining" in messages
    finally:
        podman("rm", "--force", "--ignore", name)


def _answers(url: str) -> bool:
    try:
        return http(f"{url}/healthz").status in (200, 503)
    except OSError:
        return False
