"""Every setting is checked before the server starts work, by flag or environment variable alike:
a value it does not allow ends the real `ner-server` with exit status 2 and one JSON ERROR line
naming the flag or variable, the value and what is allowed, with no traceback. A NER_* variable
that nothing in the project reads gets a WARNING. The servers here stop before loading a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from ner_server.front.cli import BadSettings, parse_settings
from ner_server.front.environment import OTHER_VARIABLES, variable_names
from ner_server.front.setting_checks import (
    Choice,
    Number,
    PathList,
    ReadableFile,
    Switch,
    Text,
    Whole,
)
from ner_server.front.settings import Settings

from tests.support import ServerProcess

#: Variables a test run may carry in from its shell, removed so each case sees only its own.
CLEAN_ENV = {
    name: value for name, value in os.environ.items() if not name.startswith("NER_") and name != "PORT"
}


def run_server(*flags: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ner_server", *flags],
        env={**CLEAN_ENV, **variables}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def only_error_line(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one line the server wrote, which must be a JSON ERROR line; exit status 2."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    entry: dict[str, Any] = json.loads(lines[0])
    assert entry["severity"] == "ERROR"
    return entry


# A variable, a value it does not allow, what the server says is allowed.
REFUSED = [
    ("NER_WORKERS", "two", "a whole number, at least 1"),
    ("NER_WORKERS", "0", "a whole number, at least 1"),
    ("NER_PIPELINE", "bogus", "one of entities, full"),
    ("NER_PIN_WORKERS", "maybe", "true or false (also 1 or 0, yes or no, on or off)"),
    ("NER_KEEP_WORDS", "-5", "a whole number, at least 0"),
    ("NER_BATCH_GATHER_SECONDS", "-0.5", "a number of seconds, at least 0"),
    ("NER_GRACE_SECONDS", "nan", "a number of seconds, at least 0"),
    ("PORT", "70000", "a whole number from 0 to 65535"),
    ("NER_LOG_LEVEL", "loud", "one of DEBUG, INFO, WARNING, ERROR"),
    ("NER_TLS_CERT", "/nonexistent/server.pem", "the path of a readable file (or nothing)"),
    ("NER_CODE", "/nonexistent/functions.py", "paths of readable files, separated by ':' "
     "(/nonexistent/functions.py is not one)"),
]  # fmt: skip


@pytest.mark.parametrize(("variable", "value", "allowed"), REFUSED, ids=[f"{v}={x}" for v, x, _ in REFUSED])
def test_a_bad_environment_variable_stops_the_server_with_one_error_line(
    variable: str, value: str, allowed: str
) -> None:
    entry = only_error_line(run_server(**{variable: value}))
    assert entry["message"] == f"{variable}={value!r}: expected {allowed}"
    assert (entry["variable"], entry["value"], entry["allowed"]) == (variable, value, allowed)


@pytest.mark.parametrize(("variable", "value", "allowed"), REFUSED[:4], ids=[v for v, _, _ in REFUSED[:4]])
def test_the_same_value_as_a_flag_is_refused_alike_naming_the_flag(
    variable: str, value: str, allowed: str
) -> None:
    flag = "--" + variable.removeprefix("NER_").lower().replace("_", "-")
    entry = only_error_line(run_server(flag, value))
    assert entry["message"] == f"{flag} {value!r}: expected {allowed}"
    assert (entry["flag"], entry["value"], entry["allowed"]) == (flag, value, allowed)


def test_ner_workers_two_is_one_line_not_a_traceback() -> None:
    done = run_server(NER_WORKERS="two")
    assert (done.stdout + done.stderr).count("\n") == 1
    assert json.loads(done.stdout)["message"] == "NER_WORKERS='two': expected a whole number, at least 1"


def test_an_unknown_flag_and_tls_files_that_do_not_go_together_are_one_error_line(tmp_path: Path) -> None:
    entry = only_error_line(run_server("--wokers", "2"))
    assert "unrecognized arguments: --wokers 2" in entry["message"]
    certificate = tmp_path / "server.pem"
    certificate.write_text("not read before the check\n")
    entry = only_error_line(run_server(NER_TLS_CERT=str(certificate)))
    assert entry["message"] == "--tls-cert and --tls-key (NER_TLS_CERT and NER_TLS_KEY) go together"


def a_refused_value(check: Any) -> str:
    """A value `check` must refuse, made from what kind of check it is."""
    if isinstance(check, Whole):
        return str(check.maximum + 1) if check.maximum is not None else str((check.minimum or 0) - 1)
    if isinstance(check, Number):
        return str(check.minimum - 1)
    if isinstance(check, Choice):
        return "bogus"
    if isinstance(check, Switch):
        return "maybe"
    if isinstance(check, Text):
        return "  "
    if isinstance(check, (ReadableFile, PathList)):
        return "/nonexistent/file"
    raise AssertionError(f"a check this test does not know: {check!r}")


@pytest.mark.parametrize("name", [item.name for item in fields(Settings)])
def test_every_setting_refuses_a_bad_value_by_flag_and_by_variable(name: str) -> None:
    [item] = [item for item in fields(Settings) if item.name == name]
    value = a_refused_value(item.metadata["check"])
    flag = "--" + name.replace("_", "-")
    with pytest.raises(BadSettings) as by_flag:
        parse_settings([flag, value], environ={})
    assert by_flag.value.fields["flag"] == flag and by_flag.value.fields["value"] == value
    for variable in variable_names(name):
        with pytest.raises(BadSettings) as by_variable:
            parse_settings([], environ={variable: value})
        assert by_variable.value.fields["variable"] == variable
        assert by_variable.value.fields["allowed"] == by_flag.value.fields["allowed"]


def test_a_flag_wins_over_its_variable_and_each_is_read_through_its_check() -> None:
    settings = parse_settings(["--workers", "3"], environ={"NER_WORKERS": "5", "NER_LOG_LEVEL": "debug"})
    assert (settings.workers, settings.log_level) == (3, "DEBUG")
    assert parse_settings([], environ={"PORT": "8080", "NER_PIN_WORKERS": "off"}).port == 8080
    assert parse_settings([], environ={"NER_PORT": "9090"}).port == 9090


def test_a_ner_variable_nothing_reads_gets_a_warning_and_the_projects_own_do_not() -> None:
    environment = {**CLEAN_ENV, "NER_WORKER": "2", "NER_WEB_TARGET": "localhost:1"}
    environment.update((name, "x") for name in OTHER_VARIABLES)
    server = ServerProcess(["--workers", "1"], env=environment)
    try:
        warnings = [entry for entry in server.log if entry["severity"] == "WARNING"]
    finally:
        server.stop()
    assert [(entry["message"], entry["variable"]) for entry in warnings] == [
        ("NER_WORKER is not a setting of ner-server: did you mean NER_WORKERS?", "NER_WORKER")
    ]
