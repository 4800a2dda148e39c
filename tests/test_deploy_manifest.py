"""deploy/service.yaml, as `make deploy` renders it, holds what Cloud Run needs to run this server.

Nothing here reaches Google: the manifest is rendered by the same make target `make deploy` uses
and its fields are checked against the server's own settings and the Dockerfile.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from ner_server.front.server import HEALTH_NAMES
from ner_server.front.settings import Settings

from tests.conftest import ROOT

IMAGE = "europe-west1-docker.pkg.dev/demo-project/ner-grpc/ner-grpc:abc1234"


@pytest.fixture(scope="module")
def rendered() -> str:
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "deploy-manifest", "PROJECT=demo-project",
         "REGION=europe-west1", f"IMAGE={IMAGE}", "MIN_INSTANCES=1", "MAX_INSTANCES=7"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def service(rendered: str) -> dict[str, Any]:
    document = yaml.safe_load(rendered)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def container(service: dict[str, Any]) -> dict[str, Any]:
    [only] = service["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def test_rendering_fills_every_placeholder(rendered: str, service: dict[str, Any]) -> None:
    assert "${" not in rendered.split("\napiVersion:", 1)[1]
    assert service["apiVersion"] == "serving.knative.dev/v1"
    assert service["kind"] == "Service"
    assert service["metadata"]["name"] == "ner-grpc"
    assert service["metadata"]["labels"]["cloud.googleapis.com/location"] == "europe-west1"


def test_container_port_is_h2c_on_the_port_the_dockerfile_exposes(container: dict[str, Any]) -> None:
    [port] = container["ports"]
    assert port["name"] == "h2c"
    exposed = re.search(r"^EXPOSE (\d+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert exposed is not None
    assert port["containerPort"] == int(exposed.group(1))


def test_startup_and_liveness_probes_ask_the_grpc_health_service(container: dict[str, Any]) -> None:
    port = container["ports"][0]["containerPort"]
    for probe in ("startupProbe", "livenessProbe"):
        grpc_probe = container[probe]["grpc"]
        assert grpc_probe["port"] == port
        assert grpc_probe["service"] in HEALTH_NAMES
        assert "httpGet" not in container[probe]
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 30


def test_concurrency_never_overflows_the_server_queue_with_single_documents(service: dict[str, Any]) -> None:
    settings = Settings()
    concurrency = service["spec"]["template"]["spec"]["containerConcurrency"]
    # Unary calls of one document each always fit the queue; streams wait for room instead.
    assert concurrency <= settings.max_queued_documents
    assert 16 <= concurrency <= 64


def test_request_timeout_allows_hour_long_streams(service: dict[str, Any]) -> None:
    assert service["spec"]["template"]["spec"]["timeoutSeconds"] == 3600


def test_workers_match_cpu_limit_and_memory_is_two_gib(container: dict[str, Any]) -> None:
    limits = container["resources"]["limits"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert limits["cpu"] == "2"
    assert env["NER_WORKERS"] == limits["cpu"]
    assert limits["memory"] == "2Gi"
    assert "PORT" not in env, "Cloud Run sets PORT from containerPort and refuses it in env"


def test_log_trace_project_and_image_come_from_the_deployment(container: dict[str, Any]) -> None:
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["GOOGLE_CLOUD_PROJECT"] == "demo-project"
    assert container["image"] == IMAGE


def test_scaling_annotations_and_startup_cpu_boost(service: dict[str, Any]) -> None:
    annotations = service["spec"]["template"]["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/minScale"] == "1"
    assert annotations["autoscaling.knative.dev/maxScale"] == "7"
    assert annotations["run.googleapis.com/startup-cpu-boost"] == "true"
    assert annotations["run.googleapis.com/execution-environment"] == "gen2"


def test_server_stops_inside_cloud_runs_ten_second_sigterm_window() -> None:
    assert Settings().grace_seconds < 10


def test_dockerfile_runs_the_server_as_non_root_in_exec_form() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["/opt/venv/bin/ner-server"\]$', dockerfile, re.MULTILINE)
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert user is not None and user.group(1) != "0"
    assert re.search(r"^ENV .*PYTHONUNBUFFERED=1", dockerfile, re.MULTILINE | re.DOTALL)
