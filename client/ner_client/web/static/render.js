// Answers into DOM nodes. Every text from the request or the answer goes in as a text node
// (textContent, createTextNode): markup in a text is shown as its characters and never parsed.

import { CODE_NAMES } from "./connect.js";

const KNOWN_COLOURS = new Set([
  "PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW", "LANGUAGE",
  "DATE", "TIME", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "PERCENT",
]);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

// A label that page.css has no colour for gets one of eight, the same one every time.
function hueClass(label) {
  let hash = 0;
  for (const unit of label) hash = (hash * 31 + unit.codePointAt(0)) >>> 0;
  return `hue-${hash % 8}`;
}

/** The entity as displaCy draws it: <mark data-label="L"><span>text</span><span>L</span></mark>. */
function mark(text, entity) {
  const node = element("mark", undefined, KNOWN_COLOURS.has(entity.label) ? "" : hueClass(entity.label));
  node.dataset.label = entity.label;
  // JavaScript strings are UTF-16, so the UTF-16 pair is the one that slices them.
  node.append(element("span", text.slice(entity.startUtf16, entity.endUtf16), "entity-text"));
  node.append(element("span", entity.label, "entity-label"));
  return node;
}

/**
 * One document: its text with each entity marked in place. `result` is {id, text, entities,
 * error}; entities come ordered by offset and do not overlap.
 */
function documentNode(result) {
  const node = element("div", undefined, "document");
  node.dataset.id = result.id;
  if (result.error) {
    const code = CODE_NAMES[result.error.code ?? 0] ?? String(result.error.code);
    node.append(element("div", `${code}: ${result.error.message ?? ""}`, "document-error"));
  }
  let position = 0;
  for (const entity of result.entities) {
    if (entity.startUtf16 < position) continue;
    node.append(document.createTextNode(result.text.slice(position, entity.startUtf16)));
    node.append(mark(result.text, entity));
    position = entity.endUtf16;
  }
  node.append(document.createTextNode(result.text.slice(position)));
  if (result.text === "") node.append(element("br"));
  return node;
}

function offsetsCell(start, end) {
  return element("td", `${start}–${end}`, "offsets");
}

function entityRow(result, entity) {
  const row = element("tr");
  row.dataset.label = entity.label;
  row.append(
    element("td", result.id),
    element("td", entity.text, "entity-text"),
    element("td", entity.label),
    offsetsCell(entity.startChar, entity.endChar),
    offsetsCell(entity.startByte, entity.endByte),
    offsetsCell(entity.startUtf16, entity.endUtf16),
    offsetsCell(entity.startToken, entity.endToken),
  );
  return row;
}

/** Every document in place, and every entity in the table. */
export function showResults(results) {
  document.getElementById("rendered").replaceChildren(...results.map(documentNode));
  const rows = results.flatMap((result) => result.entities.map((entity) => entityRow(result, entity)));
  document.querySelector("#entities tbody").replaceChildren(...rows);
}

export function clearResults() {
  showResults([]);
}

/** An error as its code and message, and the fields a BadRequest detail names that the message does not. */
export function showError(error) {
  const box = document.getElementById("error");
  document.getElementById("error-code").textContent = error.code;
  const lines = [error.message];
  for (const detail of error.details ?? []) {
    for (const violation of detail?.debug?.fieldViolations ?? []) {
      const line = `${violation.field}: ${violation.description}`;
      if (!error.message.includes(line)) lines.push(line);
    }
  }
  document.getElementById("error-message").textContent = lines.join(" — ");
  box.hidden = false;
}

export function clearError() {
  document.getElementById("error").hidden = true;
  document.getElementById("error-code").textContent = "";
  document.getElementById("error-message").textContent = "";
}

/** The model's name, version and pipeline from GetModelInfo. */
export function showModel(info) {
  document.getElementById("model-name").textContent = info.modelName ?? "";
  document.getElementById("model-version").textContent = info.modelVersion ?? "";
  document.getElementById("pipeline").textContent = (info.pipeline ?? []).join(" → ");
}

/** The label filter: one checkbox a label, ticked where `chosen` holds it. */
export function showLabelChoices(labels, chosen) {
  const boxes = labels.map((label) => {
    const box = element("input");
    box.type = "checkbox";
    box.name = "label";
    box.value = label;
    box.checked = chosen.has(label);
    const wrapper = element("label");
    wrapper.append(box, document.createTextNode(` ${label}`));
    return wrapper;
  });
  document.getElementById("label-choices").replaceChildren(...boxes);
}
