"""A pipeline the server cannot serve stops it before SERVING, with one line naming cause and fix.

The server never starts and answers empty: it exits non-zero, logs one ERROR line and no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import own_pipelines as made
from tests.support import ServerProcess


def refusal(*args: str) -> str:
    """The one ERROR line of a server that could not start; asserts it exited non-zero first."""
    server = ServerProcess(["--workers", "1", *args])
    code = server.process.wait(120)
    server.stop()
    assert code != 0
    errors = [entry["message"] for entry in server.log if entry["severity"] == "ERROR"]
    assert len(errors) == 1, server.raw_log
    assert "Traceback" not in "\n".join(server.raw_log)
    assert not [entry for entry in server.log if entry.get("message") == "serving"]
    assert "\n" not in errors[0]
    return errors[0]


def test_a_model_that_is_not_there_is_named_with_how_to_install_one(tmp_path: Path) -> None:
    message = refusal("--model", str(tmp_path / "missing"))
    assert str(tmp_path / "missing") in message and "--model PATH" in message


def test_a_pipeline_with_nothing_that_sets_entities_is_refused(tmp_path: Path) -> None:
    message = refusal("--model", str(made.without_entities(tmp_path)))
    assert "no component that sets entities" in message and "sentencizer" in message


def test_a_custom_factory_without_its_code_is_named_with_the_flag_that_brings_it(tmp_path: Path) -> None:
    from spacy.util import import_file

    import_file("ner_test_custom_components", made.CUSTOM_CODE)
    message = refusal("--model", str(made.custom_component(tmp_path)))
    assert "'ticker_entities'" in message and "--code" in message


def test_a_code_file_that_is_not_there_is_named_before_the_server_listens(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ner_server", "--port", "0", "--code", str(tmp_path / "nowhere.py")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr == ""
    [line] = done.stdout.splitlines()
    error = json.loads(line)
    assert error["severity"] == "ERROR" and error["flag"] == "--code"
    assert f"{tmp_path / 'nowhere.py'} is not one" in error["message"]


def test_a_pipeline_that_needs_a_gpu_is_refused(tmp_path: Path) -> None:
    from spacy.util import import_file

    import_file("ner_test_custom_components", made.CUSTOM_CODE)
    path = made.custom_component(tmp_path, "gpu_entities")
    config = path / "config.cfg"
    config.write_text(config.read_text().replace('device = "cpu"', 'device = "gpu"'))
    message = refusal("--model", str(path), "--code", str(made.CUSTOM_CODE))
    assert "needs a GPU" in message
