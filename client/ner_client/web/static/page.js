// The page's wiring: the form, the address (?text=...&labels=...&lines=0), the calls, the
// shell commands. #app's data-state says where a call is (idle, running, done, error) and
// data-calls counts the calls finished, so that tests and people can tell when an answer is in.

import { CallError, SERVICE, call, entityOf, methodUrl } from "./connect.js";
import { curlCommand, grpcurlCommand } from "./commands.js";
import {
  clearError, clearResults, showError, showLabelChoices, showModel, showResults,
} from "./render.js";
import { SAMPLES } from "./samples.js";

const app = document.getElementById("app");
const textBox = document.getElementById("text");
const perLine = document.getElementById("per-line");
const targetBox = document.getElementById("grpc-target");

/** What the form asks for: one ExtractEntities call, or a batch of the text's non-blank lines. */
function currentCall() {
  const text = textBox.value;
  const labels = chosenLabels();
  const lines = text.split("\n");
  const documents = lines
    .map((line, index) => ({ id: String(index + 1), text: line }))
    .filter((doc) => doc.text.trim() !== "");
  if (perLine.checked && documents.length > 1) {
    const message = labels.length ? { documents, labels } : { documents };
    return { method: "BatchExtractEntities", message, lines, documents };
  }
  const message = labels.length ? { text, labels } : { text };
  return { method: "ExtractEntities", message, lines: [text], documents: [{ id: "1", text }] };
}

function chosenLabels() {
  return [...document.querySelectorAll("#label-choices input:checked")].map((box) => box.value);
}

// The answer, one result for each line shown (blank lines included, untagged).
function resultsOf(request, answer) {
  if (request.method === "ExtractEntities") {
    return [{ id: "1", text: request.message.text, entities: (answer.entities ?? []).map(entityOf) }];
  }
  const byId = new Map();
  (answer.results ?? []).forEach((result, index) => byId.set(request.documents[index].id, result));
  return request.lines.map((line, index) => {
    const id = String(index + 1);
    const result = byId.get(id);
    return {
      id,
      text: line,
      entities: (result?.entities ?? []).map(entityOf),
      error: result?.error,
    };
  });
}

function showCommands() {
  const request = currentCall();
  document.getElementById("curl-command").textContent = curlCommand(methodUrl(request.method), request.message);
  document.getElementById("grpcurl-command").textContent = grpcurlCommand(
    targetBox.value.trim(), SERVICE, request.method, request.message);
}

function rememberInAddress() {
  const params = new URLSearchParams({ text: textBox.value });
  const labels = chosenLabels();
  if (labels.length) params.set("labels", labels.join(","));
  if (!perLine.checked) params.set("lines", "0");
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

async function run() {
  const request = currentCall();
  app.dataset.state = "running";
  clearError();
  rememberInAddress();
  const started = performance.now();
  try {
    const answer = await call(request.method, request.message);
    showResults(resultsOf(request, answer));
    app.dataset.state = "done";
  } catch (error) {
    clearResults();
    showError(error instanceof CallError ? error : new CallError("INTERNAL", String(error)));
    app.dataset.state = "error";
  }
  const elapsed = performance.now() - started;
  const count = request.documents.length;
  document.getElementById("elapsed").textContent =
    `${request.method}, ${count} document${count === 1 ? "" : "s"}: ${elapsed.toFixed(1)} ms`;
  app.dataset.calls = String(Number(app.dataset.calls) + 1);
}

async function loadModel(chosen) {
  const model = document.getElementById("model");
  try {
    const info = await call("GetModelInfo", {});
    showModel(info);
    // Labels the address names that the model lacks stay choosable: the service says why it refuses them.
    const labels = [...(info.labels ?? [])];
    for (const label of chosen) if (!labels.includes(label)) labels.push(label);
    showLabelChoices(labels, chosen);
    model.dataset.state = "done";
  } catch (error) {
    showLabelChoices([...chosen], chosen);
    showError(error instanceof CallError ? error : new CallError("INTERNAL", String(error)));
    model.dataset.state = "error";
  }
  showCommands();
}

async function copy(kind) {
  const shown = document.getElementById(`${kind}-command`);
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(shown.textContent);
    status.textContent = `The ${kind} command is on the clipboard.`;
    status.dataset.copied = kind;
  } catch {
    getSelection().selectAllChildren(shown);
    status.textContent = `The browser refused the clipboard: the ${kind} command is selected, copy it from there.`;
    status.dataset.copied = "";
  }
}

function addSamples() {
  const buttons = SAMPLES.map((sample) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = sample.name;
    button.addEventListener("click", () => {
      textBox.value = sample.text;
      showCommands();
      run();
    });
    return button;
  });
  document.getElementById("samples").replaceChildren(...buttons);
}

async function start() {
  const params = new URLSearchParams(location.search);
  const shared = params.get("text");
  const chosen = new Set((params.get("labels") ?? "").split(",").map((l) => l.trim()).filter(Boolean));
  if (params.get("lines") === "0") perLine.checked = false;
  textBox.value = shared ?? SAMPLES[0].text;
  addSamples();
  document.getElementById("query").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  for (const input of [textBox, perLine, targetBox]) input.addEventListener("input", showCommands);
  document.getElementById("label-choices").addEventListener("change", showCommands);
  document.getElementById("copy-curl").addEventListener("click", () => copy("curl"));
  document.getElementById("copy-grpcurl").addEventListener("click", () => copy("grpcurl"));
  showCommands();
  await loadModel(chosen);
  if (shared !== null) await run();
}

start();
