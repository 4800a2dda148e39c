"""deploy/service.yaml, as `make deploy` renders it, holds what Cloud Run needs to run this server;
`make deploy MODEL_DIR=...` builds and deploys an image around the user's own pipeline.

Nothing here reaches Google: the manifest is rendered by the same make target `make deploy` uses
and its fields are checked against the server's own settings and the Dockerfile. The own-pipeline
build context is made by the target `make deploy` runs and checked file by file; the commands
`make deploy` would run come from `make -n`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ner_server.front.server import HEALTH_NAMES
from ner_server.front.settings import Settings

from tests import own_pipelines as made
from tests.conftest import ROOT

IMAGE = "europe-west1-docker.pkg.dev/demo-project/ner-grpc/ner-grpc:abc1234"


def make(*arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "--no-print-directory", *arguments],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=check,
    )  # fmt: skip


@pytest.fixture(scope="module")
def rendered() -> str:
    return make(
        "deploy-manifest", "PROJECT=demo-project", "REGION=europe-west1", f"IMAGE={IMAGE}",
        "MIN_INSTANCES=1", "MAX_INSTANCES=7",
    ).stdout  # fmt: skip


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


@pytest.fixture(scope="module")
def own_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return made.blank_entity_ruler(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def pipeline_context(own_pipeline: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    context = tmp_path_factory.mktemp("context") / "pipeline-image"
    make(
        "deploy-pipeline-context", f"MODEL_DIR={own_pipeline}/", f"CODE={made.CUSTOM_CODE}",
        f"PIPELINE_CONTEXT={context}", f"IMAGE={IMAGE}",
    )  # fmt: skip
    return context


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_pipeline_image_is_the_project_image_plus_the_pipeline_and_its_code(
    pipeline_context: Path, own_pipeline: Path
) -> None:
    assert (pipeline_context / "Dockerfile").read_text().splitlines() == [
        f"FROM {IMAGE}",
        "COPY blank-ruler /pipelines/blank-ruler",
        "COPY code /pipelines/code",
        "ENV NER_MODEL=/pipelines/blank-ruler NER_CODE=/pipelines/code/custom_components.py",
    ]
    assert files_under(pipeline_context / "blank-ruler") == files_under(own_pipeline)
    assert files_under(pipeline_context / "code") == {"custom_components.py": made.CUSTOM_CODE.read_bytes()}


def test_pipeline_build_context_reaches_cloud_build_whole(pipeline_context: Path) -> None:
    # gcloud uploads what .gcloudignore lets through, or else what .gitignore does (the
    # repository's lists build/); Docker then drops what .dockerignore lists.
    patterns = [
        line
        for line in (pipeline_context / ".gcloudignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns == []
    assert not (pipeline_context / ".dockerignore").exists()
    assert not (pipeline_context / ".gitignore").exists()
    assert {path.name for path in pipeline_context.iterdir()} == {
        ".gcloudignore", "Dockerfile", "blank-ruler", "code"
    }  # fmt: skip


def deploy_commands(own_pipeline: Path, context: Path) -> list[str]:
    """What `make deploy MODEL_DIR=...` runs, in order (`make -n`: nothing runs)."""
    done = make(
        "-n", "deploy", "PROJECT=demo-project", "REGION=europe-west1", "SERVICE=my-ner",
        "IMAGE_TAG=abc1234", f"MODEL_DIR={own_pipeline}", f"PIPELINE_CONTEXT={context}",
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if line.startswith(("gcloud ", "sed "))]


def test_deploy_with_model_dir_builds_on_the_project_image_and_deploys_the_pipeline_image(
    own_pipeline: Path, tmp_path: Path
) -> None:
    base = "europe-west1-docker.pkg.dev/demo-project/ner-grpc/ner-grpc:abc1234"
    describe, submit, render, replace, _ = deploy_commands(own_pipeline, tmp_path / "context")
    assert describe.startswith(f"gcloud artifacts docker images describe {base} ")
    assert describe.endswith(
        f"|| gcloud builds submit --project demo-project --region europe-west1 --tag {base} ."
    )
    found = re.fullmatch(
        r"gcloud builds submit --project demo-project --region europe-west1 --tag (\S+) (\S+)", submit
    )
    assert found is not None, submit
    pipeline_image, context = found.groups()
    assert context == str(tmp_path / "context")
    assert re.fullmatch(
        r"europe-west1-docker\.pkg\.dev/demo-project/ner-grpc/my-ner:abc1234-[0-9a-f]{12}", pipeline_image
    )
    assert f"s|${{IMAGE}}|{pipeline_image}|g" in render
    assert replace.startswith("gcloud run services replace build/service.yaml")


def test_pipeline_image_tag_follows_the_pipelines_content(own_pipeline: Path, tmp_path: Path) -> None:
    def tag() -> str:
        return deploy_commands(own_pipeline, tmp_path / "context")[1].split(" --tag ")[1].split()[0]

    before = tag()
    assert tag() == before
    patterns = own_pipeline / "entity_ruler" / "patterns.jsonl"
    original = patterns.read_bytes()
    try:
        patterns.write_bytes(original + b'{"label":"ORG","pattern":"Wrenfield"}\n')
        assert tag() != before
    finally:
        patterns.write_bytes(original)


def test_deploy_refuses_a_model_dir_that_is_no_pipeline(tmp_path: Path) -> None:
    done = make(
        "deploy-pipeline-context", f"MODEL_DIR={tmp_path}", f"PIPELINE_CONTEXT={tmp_path}/c", check=False
    )
    assert done.returncode != 0
    assert f"MODEL_DIR={tmp_path} is not a spaCy pipeline directory (no config.cfg in it)" in done.stdout
    assert not (tmp_path / "c").exists()
