"""The page (client/ner_client/web/static) in a real browser: Debian's Chromium, driven by Selenium
through Debian's chromedriver (no driver or browser is downloaded), against a real `ner-web`
gateway in front of a real server. What the page shows is compared with the gRPC answer to the
same request. Nothing waits on a timer: the page counts finished calls in #app[data-calls] and the
tests wait for that count. A screenshot of a run is kept at build/page-screenshot.png.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import grpc
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message
from ner_client.proto import ner_pb2, ner_pb2_grpc
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT, require_tool, unavailable
from tests.gateway_support import GatewayProcess, http
from tests.support import ServerProcess

STATIC = ROOT / "client" / "ner_client" / "web" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = ROOT / "build" / "page-screenshot.png"
TITLE = "ner.v1.NerService"
#: Long enough for a first call on a busy machine; a wait ends as soon as the page says so.
PATIENCE = 120

pytestmark = pytest.mark.timeout(600)

# Texts whose UTF-16, UTF-8 and code point offsets all differ, and one full of markup and script
# that must be shown as characters and never run.
HARD_TEXTS = {
    "emoji": "👩🏽‍🔬 Marie Curie 🧪 moved from Warsaw 🇵🇱 to Paris in 1891 and married Pierre Curie 😀 there.",
    "rtl": "Angela Merkel met Emmanuel Macron in Jerusalem (שלום עליכם) and flew on to Cairo "
    "(مرحبا بكم) on Friday.",
    "combining": "Rene\u0301e Zellweger flew from Sa\u0303o Paulo to Montre\u0301al on Tuesday with "
    "Zoe\u0308 Kravitz and Bjo\u0308rn Borg.",
    "markup": "<script>window.ranScript = true</script>"
    "<img src=x onerror=\"window.ranImage = true; document.title = 'ran'\"> "
    "<b>Barack Obama</b> met Angela Merkel in Berlin &amp; <i>Paris</i> "
    '<svg onload="window.ranSvg = true"></svg><a href="javascript:window.ranLink = true">'
    "Google</a> on 4 July 2019.",
}

# As JSON text: a wrongly sliced entity (a lone surrogate) still comes back, to fail an assertion.
MARKS = """
return JSON.stringify([...document.querySelectorAll(arguments[0] + ' mark')].map(
    (mark) => [mark.querySelector('.entity-text').textContent, mark.dataset.label]));
"""
# The rendered text without the label tags: the text itself, if every entity is marked in place.
RENDERED_TEXT = """
const copy = document.getElementById('rendered').cloneNode(true);
copy.querySelectorAll('.entity-label, .document-error').forEach((tag) => tag.remove());
return [...copy.querySelectorAll('.document')].map((doc) => doc.textContent);
"""
TABLE = (
    "return [...document.querySelectorAll('#entities tbody tr')].map((row) => "
    "[...row.cells].map((cell) => cell.textContent));"
)
SET_TEXT = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"


@pytest.fixture(scope="module")
def gateway(server: ServerProcess) -> Iterator[GatewayProcess]:
    process = GatewayProcess(server.address)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            unavailable(f"{path} is missing: make setup installs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to start its sandbox as root
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A driver path given to Service means Selenium Manager is never run: nothing is downloaded.
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser, checked after each test: no script error, no Content-Security-Policy refusal."""
    browser.get_log("browser")
    yield browser
    troubles = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]
    ]
    assert troubles == []


def open_page(driver: WebDriver, url: str) -> None:
    """Load the page and wait until GetModelInfo has answered (or failed)."""
    driver.get(url)
    WebDriverWait(driver, PATIENCE).until(
        lambda d: d.find_element(By.ID, "model").get_attribute("data-state") in ("done", "error")
    )


def calls_finished(driver: WebDriver) -> int:
    return int(driver.find_element(By.ID, "app").get_attribute("data-calls") or 0)


def wait_for_calls(driver: WebDriver, count: int) -> str:
    """Wait until the page has finished `count` calls; its state then (done or error)."""
    WebDriverWait(driver, PATIENCE).until(lambda d: calls_finished(d) >= count)
    return str(driver.find_element(By.ID, "app").get_attribute("data-state"))


def run_text(driver: WebDriver, text: str) -> str:
    """Put `text` in the box (emoji too, which typing through chromedriver cannot), press Run."""
    driver.execute_script(SET_TEXT, driver.find_element(By.ID, "text"), text)
    before = calls_finished(driver)
    driver.find_element(By.ID, "run").click()
    return wait_for_calls(driver, before + 1)


def marks(driver: WebDriver, scope: str = "#rendered") -> list[tuple[str, str]]:
    return [(text, label) for text, label in json.loads(driver.execute_script(MARKS, scope))]


def ticked_labels(driver: WebDriver) -> set[str]:
    boxes = driver.find_elements(By.CSS_SELECTOR, "#label-choices :checked")
    return {str(box.get_attribute("value")) for box in boxes}


def shown_error(driver: WebDriver) -> tuple[str, str]:
    assert driver.find_element(By.ID, "error").is_displayed()
    code = driver.find_element(By.ID, "error-code").get_attribute("textContent") or ""
    message = driver.find_element(By.ID, "error-message").get_attribute("textContent") or ""
    return code, message


def answer(stub: ner_pb2_grpc.NerServiceStub, text: str, labels: tuple[str, ...] = ()) -> list[Any]:
    return list(stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text, labels=labels)).entities)


def pairs(entities: list[Any]) -> list[tuple[str, str]]:
    return [(entity.text, entity.label) for entity in entities]


def span(start: int, end: int) -> str:
    """An offset pair as the page's table writes it, with an en dash."""
    return f"{start}\u2013{end}"


def table_rows(document_id: str, entities: list[Any]) -> list[list[str]]:
    return [
        [
            document_id,
            entity.text,
            entity.label,
            span(entity.start_char, entity.end_char),
            span(entity.start_byte, entity.end_byte),
            span(entity.start_utf16, entity.end_utf16),
            span(entity.start_token, entity.end_token),
        ]
        for entity in entities
    ]


@pytest.mark.parametrize("name", list(HARD_TEXTS))
def test_marks_equal_the_grpc_entities_and_nothing_in_the_text_runs(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub, name: str
) -> None:
    text = HARD_TEXTS[name]
    expected = answer(stub, text)
    assert expected, f"the {name} text should hold entities for this test to mean anything"
    open_page(page, gateway.url)

    assert run_text(page, text) == "done"

    assert marks(page) == pairs(expected)
    assert page.execute_script(TABLE) == table_rows("1", expected)
    assert page.execute_script(RENDERED_TEXT) == [text]
    # Markup in the text is characters: no element the page did not make, nothing that ran.
    strangers = "#rendered :not(div):not(mark):not(span):not(br), #entities tbody :not(tr):not(td)"
    assert page.find_elements(By.CSS_SELECTOR, strangers) == []
    ran = page.execute_script(
        "return [window.ranScript, window.ranImage, window.ranSvg, window.ranLink].some(Boolean)"
    )
    assert ran is False
    assert page.title == TITLE


def test_label_filter_is_built_from_the_model_and_narrows_the_call(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    text = "Toni Morrison taught at Princeton University in New Jersey from 1989 to 2006."
    open_page(page, gateway.url)
    offered = [
        box.get_attribute("value") for box in page.find_elements(By.CSS_SELECTOR, "#label-choices input")
    ]
    info = stub.GetModelInfo(ner_pb2.GetModelInfoRequest())
    assert offered == list(info.labels)
    assert page.find_element(By.ID, "model-name").text == info.model_name
    assert page.find_element(By.ID, "model-version").text == info.model_version
    assert page.find_element(By.ID, "pipeline").text == " → ".join(info.pipeline)

    page.find_element(By.CSS_SELECTOR, "#label-choices input[value='PERSON']").click()
    assert run_text(page, text) == "done"

    expected = answer(stub, text, ("PERSON",))
    assert expected and {label for _, label in pairs(expected)} == {"PERSON"}
    assert marks(page) == pairs(expected)
    assert parse_qs(urlsplit(page.current_url).query) == {"text": [text], "labels": ["PERSON"]}


def test_several_lines_go_as_one_batch_one_document_a_line(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    lines = [
        "Toni Morrison taught at Princeton University from 1989.",
        "",
        "The Rhine flows past Basel and Cologne to Rotterdam.",
        "Neil Armstrong flew for NASA in July 1969 🚀.",
    ]
    documents = [ner_pb2.Document(id=str(number), text=line) for number, line in enumerate(lines, 1) if line]
    results = stub.BatchExtractEntities(ner_pb2.BatchExtractEntitiesRequest(documents=documents)).results
    open_page(page, gateway.url)

    assert run_text(page, "\n".join(lines)) == "done"

    assert page.find_element(By.ID, "elapsed").text.startswith("BatchExtractEntities, 3 documents:")
    assert page.execute_script(RENDERED_TEXT) == lines
    for result in results:
        assert result.entities
        assert marks(page, f'#rendered .document[data-id="{result.id}"]') == pairs(list(result.entities))
    assert marks(page, '#rendered .document[data-id="2"]') == []
    expected_rows = [row for result in results for row in table_rows(result.id, list(result.entities))]
    assert page.execute_script(TABLE) == expected_rows


def test_a_shared_link_fills_the_box_and_runs_it(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    text = 'Ada Lovelace wrote to Charles Babbage from London in 1843 & signed it "A.A.L."?'
    link = f"{gateway.url}/?{urlencode({'text': text, 'labels': 'PERSON,GPE'})}"

    open_page(page, link)
    assert wait_for_calls(page, 1) == "done"

    assert page.find_element(By.ID, "text").get_attribute("value") == text
    assert ticked_labels(page) == {"PERSON", "GPE"}
    expected = answer(stub, text, ("PERSON", "GPE"))
    assert {label for _, label in pairs(expected)} == {"PERSON", "GPE"}
    assert marks(page) == pairs(expected)


def test_a_link_with_lines_off_sends_several_lines_as_one_text(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    text = "Marie Curie was born in Warsaw.\nShe moved to Paris in 1891."
    expected = answer(stub, text)
    assert {entity.text for entity in expected} >= {"Warsaw", "Paris"}

    open_page(page, f"{gateway.url}/?{urlencode({'text': text, 'lines': '0'})}")
    assert wait_for_calls(page, 1) == "done"

    assert page.find_element(By.ID, "per-line").is_selected() is False
    assert page.find_element(By.ID, "elapsed").text.startswith("ExtractEntities, 1 document:")
    assert marks(page) == pairs(expected)
    assert page.execute_script(TABLE) == table_rows("1", expected)
    assert page.execute_script(RENDERED_TEXT) == [text]


def test_an_empty_text_shows_invalid_argument(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=""))
    open_page(page, gateway.url)

    assert run_text(page, "") == "error"

    code, message = shown_error(page)
    assert code == "INVALID_ARGUMENT" == refused.value.code().name
    assert message == refused.value.details()
    assert marks(page) == []


def test_a_link_with_an_unknown_label_shows_the_service_refusal(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    text = "Ada Lovelace lived in London."
    with pytest.raises(grpc.RpcError) as refused:
        stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text, labels=["PERSON", "NOPE"]))

    open_page(page, f"{gateway.url}/?{urlencode({'text': text, 'labels': 'PERSON,NOPE'})}")
    assert wait_for_calls(page, 1) == "error"

    assert shown_error(page) == (refused.value.code().name, refused.value.details())
    assert ticked_labels(page) == {"PERSON", "NOPE"}


# Quotes, a dollar, backquotes and a backslash: all of them must reach the service as typed.
SHELL_HOSTILE = "It's Ada's $HOME: `date` and \"Paris\" \\ said Grace Hopper in Washington on Monday."
COMMAND_CASES = {
    "one-text": (SHELL_HOSTILE, ()),
    "batch-with-labels": (
        f"{SHELL_HOSTILE}\nToni Morrison's 'Beloved' came out in Ohio & New York.",
        ("PERSON", "GPE"),
    ),
}


@pytest.mark.parametrize("case", list(COMMAND_CASES))
def test_copied_commands_make_the_same_call(
    page: WebDriver,
    gateway: GatewayProcess,
    server: ServerProcess,
    stub: ner_pb2_grpc.NerServiceStub,
    case: str,
) -> None:
    curl = require_tool("curl")
    grpcurl = require_tool("grpcurl")
    text, labels = COMMAND_CASES[case]
    lines = text.split("\n")
    if len(lines) == 1:
        expected: Message = stub.ExtractEntities(ner_pb2.ExtractEntitiesRequest(text=text, labels=labels))
    else:
        documents = [ner_pb2.Document(id=str(number), text=line) for number, line in enumerate(lines, 1)]
        expected = stub.BatchExtractEntities(
            ner_pb2.BatchExtractEntitiesRequest(documents=documents, labels=labels)
        )
    open_page(page, gateway.url)
    for label in labels:
        page.find_element(By.CSS_SELECTOR, f"#label-choices input[value='{label}']").click()
    assert run_text(page, text) == "done"
    target = page.find_element(By.ID, "grpc-target")
    target.clear()
    target.send_keys(server.address)

    curl_command = page.find_element(By.ID, "curl-command").get_attribute("textContent") or ""
    grpcurl_command = page.find_element(By.ID, "grpcurl-command").get_attribute("textContent") or ""
    assert curl_command.startswith("curl ") and grpcurl_command.startswith("grpcurl ")
    assert f"'{server.address}'" in grpcurl_command
    for command, tool in ((curl_command, curl), (grpcurl_command, grpcurl)):
        run = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PATH": f"{os.path.dirname(tool)}:{os.environ['PATH']}"},
        )
        assert run.returncode == 0, run.stderr
        assert json_format.Parse(run.stdout, type(expected)()) == expected, command

    page.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": gateway.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    page.find_element(By.ID, "copy-curl").click()
    status = page.find_element(By.ID, "copy-status")
    WebDriverWait(page, PATIENCE).until(lambda _: status.get_attribute("data-copied") is not None)
    assert status.get_attribute("data-copied") == "curl"
    copied = page.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], (error) => arguments[0](String(error)))"
    )
    assert copied == curl_command


def test_a_stopped_backend_then_a_stopped_gateway_show_unavailable(page: WebDriver) -> None:
    backend = ServerProcess(["--workers", "1"])
    own_gateway: GatewayProcess | None = None
    try:
        backend.wait_serving()
        own_gateway = GatewayProcess(backend.address)
        open_page(page, own_gateway.url)
        assert page.find_element(By.ID, "model").get_attribute("data-state") == "done"
        backend.stop()

        assert run_text(page, "Ada Lovelace was born in London.") == "error"
        code, message = shown_error(page)
        assert code == "UNAVAILABLE"
        assert backend.address in message, message

        own_gateway.stop()
        assert run_text(page, "Ada Lovelace was born in London.") == "error"
        code, message = shown_error(page)
        assert code == "UNAVAILABLE"
        assert own_gateway.url in message, message
    finally:
        if own_gateway is not None:
            own_gateway.stop()
        backend.stop()


def test_screenshot_of_a_run(
    page: WebDriver, gateway: GatewayProcess, stub: ner_pb2_grpc.NerServiceStub
) -> None:
    """A picture of the page after a run, kept as a test artifact for people to look at."""
    open_page(page, gateway.url)
    page.find_element(By.XPATH, "//div[@class='samples']//button[text()='Emoji and accents']").click()
    assert wait_for_calls(page, 1) == "done"
    text = page.find_element(By.ID, "text").get_attribute("value") or ""
    assert marks(page) == pairs(answer(stub, text))

    # The whole page, not only the window's part of it.
    size = page.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    whole = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = page.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": whole})
    SCREENSHOT.parent.mkdir(exist_ok=True)
    SCREENSHOT.write_bytes(base64.b64decode(shot["data"]))
    assert SCREENSHOT.read_bytes().startswith(b"\x89PNG")


def test_the_page_is_served_under_a_policy_that_runs_only_its_own_files(
    browser: WebDriver, gateway: GatewayProcess
) -> None:
    for name in ("", *sorted(path.name for path in STATIC.iterdir())):
        served = http(f"{gateway.url}/{name}")
        assert served.status == 200, name
        expected = (STATIC / (name or "index.html")).read_bytes()
        assert served.body == expected, name
        policy = served.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    open_page(browser, gateway.url)
    browser.get_log("browser")

    # An inline script and an inline style, as injected markup would bring them: the browser refuses both.
    refused = browser.execute_script("""
        const script = document.createElement('script');
        script.textContent = 'window.inlineRan = true';
        document.body.append(script);
        const style = document.createElement('style');
        style.textContent = 'body { color: rgb(255, 0, 0) }';
        document.head.append(style);
        return [window.inlineRan === undefined, getComputedStyle(document.body).color !== 'rgb(255, 0, 0)'];
    """)

    assert refused == [True, True]
    violations = [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert len(violations) == 2


def test_the_page_has_no_markup_sinks_and_nothing_from_elsewhere() -> None:
    """The browser tests prove the texts they use; this keeps the other paths honest: no script
    parses a string as markup, and nothing is fetched from another host (the page works offline)."""
    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function")
    for path in STATIC.iterdir():
        source = path.read_text(encoding="utf-8")
        assert [sink for sink in sinks if sink in source] == [], path.name
        assert "://" not in source.replace('xmlns="http://www.w3.org/2000/svg"', ""), path.name
        assert " style=" not in source and "<style" not in source, path.name


def test_the_client_wheel_carries_the_page(tmp_path: Path) -> None:
    source = tmp_path / "client"
    shutil.copytree(
        ROOT / "client", source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = tmp_path.glob("ner_grpc_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    page_files = {f"ner_client/web/static/{path.name}" for path in STATIC.iterdir()}
    assert "ner_client/web/static/index.html" in page_files
    assert page_files <= names
