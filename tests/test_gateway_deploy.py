"""deploy/gateway.yaml, as `make deploy-gateway` renders it, runs the gateway on Cloud Run as a
second service: the Dockerfile's client-only `gateway` target, calling the private gRPC service
with its own service account's ID token. Nothing here reaches Google: the manifest is rendered
by the make target the deployment uses, and its values are checked by the gateway's own checks."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml
from ner_client.web.cli import parse_settings

from tests.conftest import ROOT

BACKEND = "https://ner-grpc-abc123-ew.a.run.app"
IMAGE = "europe-west1-docker.pkg.dev/demo-project/ner-grpc/ner-web:abc1234"
MAKE = ["make", "-s", "--no-print-directory"]
SETTINGS = ["PROJECT=demo-project", "REGION=europe-west1", f"BACKEND_URL={BACKEND}", "IMAGE_TAG=abc1234"]


def make(*args: str) -> str:
    done = subprocess.run([*MAKE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def commands(*args: str) -> str:
    """What `make -n` would run, one command a line (continued lines joined)."""
    return re.sub(r"[ \t]*\\\n[ \t]*", " ", make("-n", *args))


@pytest.fixture(scope="module")
def rendered() -> str:
    return make("deploy-gateway-manifest", *SETTINGS)


@pytest.fixture(scope="module")
def service(rendered: str) -> dict[str, Any]:
    document = yaml.safe_load(rendered)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def container(service: dict[str, Any]) -> dict[str, Any]:
    [only] = service["spec"]["template"]["spec"]["containers"]
    return only  # type: ignore[no-any-return]


def gateway_stage() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text()
    start = dockerfile.index("AS gateway-build")
    return dockerfile[start : dockerfile.index("\nFROM ", dockerfile.index("AS gateway\n"))]


def test_rendering_fills_every_placeholder(rendered: str, service: dict[str, Any]) -> None:
    assert "${" not in rendered.split("\napiVersion:", 1)[1]
    assert service["kind"] == "Service"
    assert service["metadata"]["name"] == "ner-web"
    assert service["metadata"]["labels"]["cloud.googleapis.com/location"] == "europe-west1"


def test_the_gateway_image_is_the_client_only_target(container: dict[str, Any]) -> None:
    assert container["image"] == IMAGE
    stage = gateway_stage()
    assert re.search(r"^COPY client/ client/$", stage, re.MULTILINE)
    assert "COPY . ." not in stage and "server/" not in stage and "spacy" not in stage.lower()
    assert "./client[web,auth]" in stage
    assert re.search(r'^ENTRYPOINT \["/opt/venv/bin/ner-web"\]$', stage, re.MULTILINE)
    user = re.search(r"^USER (\d+):(\d+)$", stage, re.MULTILINE)
    assert user is not None and user.group(1) != "0"
    # The server stays the default target: it is the last stage.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.rstrip().endswith('ENTRYPOINT ["/opt/venv/bin/ner-server"]')


def test_the_client_distribution_needs_no_spacy_for_the_gateway() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())["project"]
    needed = project["dependencies"] + project["optional-dependencies"]["web"]
    assert not [name for name in needed if name.lower().startswith(("spacy", "ner-grpc"))]
    assert any(name.startswith("connect-python==") for name in needed)


def test_the_port_is_http1_on_the_port_the_gateway_stage_exposes(container: dict[str, Any]) -> None:
    [port] = container["ports"]
    env = {item["name"]: item["value"] for item in container["env"]}
    # HTTP/1.1 to the container suits the default server; h2c would need NER_WEB_H2C=true.
    assert port["name"] == "http1" and "NER_WEB_H2C" not in env
    exposed = re.search(r"^EXPOSE (\d+)$", gateway_stage(), re.MULTILINE)
    assert exposed is not None and port["containerPort"] == int(exposed.group(1))


def test_the_environment_passes_the_gateways_own_checks(container: dict[str, Any]) -> None:
    env = {item["name"]: item["value"] for item in container["env"]}
    assert "PORT" not in env, "Cloud Run sets PORT from containerPort and refuses it in env"
    settings = parse_settings([], {**env, "PORT": str(container["ports"][0]["containerPort"])})
    assert settings.target == BACKEND
    assert settings.id_token
    assert settings.allowed_origins == ()
    concurrency = yaml.safe_load(make("deploy-gateway-manifest", *SETTINGS))["spec"]["template"]["spec"]
    assert settings.max_calls >= concurrency["containerConcurrency"]


def test_allowed_origins_come_from_the_deployment() -> None:
    manifest = yaml.safe_load(
        make("deploy-gateway-manifest", *SETTINGS, "GATEWAY_ALLOWED_ORIGINS=https://app.example.com")
    )
    [container] = manifest["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert parse_settings([], env).allowed_origins == ("https://app.example.com",)


def test_it_runs_as_its_own_service_account(service: dict[str, Any]) -> None:
    account = service["spec"]["template"]["spec"]["serviceAccountName"]
    assert account == "ner-web@demo-project.iam.gserviceaccount.com"


def test_the_startup_probe_does_not_wait_for_the_backend(container: dict[str, Any]) -> None:
    probe = container["startupProbe"]
    assert probe["tcpSocket"]["port"] == container["ports"][0]["containerPort"]
    assert "httpGet" not in probe


def test_only_the_gateways_account_may_invoke_the_grpc_service_and_public_is_a_choice() -> None:
    private = commands("deploy-gateway", *SETTINGS)
    binding = re.search(
        r"add-iam-policy-binding ner-grpc .*--member serviceAccount:(\S+) --role (\S+)", private
    )
    assert binding is not None
    assert binding.groups() == ("ner-web@demo-project.iam.gserviceaccount.com", "roles/run.invoker")
    assert "allUsers" not in private
    public = commands("deploy-gateway", *SETTINGS, "PUBLIC=1")
    assert re.search(r"add-iam-policy-binding ner-web .*--member allUsers --role roles/run.invoker", public)
    assert "allUsers" not in public.split("add-iam-policy-binding ner-web", 1)[0]
    assert "--target" in (ROOT / "deploy" / "cloudbuild-gateway.yaml").read_text()
