/**
 * Calls a real server: tests/test_other_languages.py starts one and sets NER_ADDRESS, and
 * NER_EXPECTED names a JSON file with texts and the entities the Python client got for them.
 * NER_CA_FILE (and NER_CERT_FILE, NER_KEY_FILE) make them call over TLS (mutual TLS).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { DocumentSchema, type Entity } from "../src/gen/ner/v1/ner_pb.js";
import { createNerClient, extract, span, stream, tlsFromEnvironment } from "../src/ner.js";

interface ExpectedEntity {
  text: string;
  label: string;
  start_char: number;
  end_char: number;
  start_byte: number;
  end_byte: number;
  start_token: number;
  end_token: number;
  start_utf16: number;
  end_utf16: number;
}

interface ExpectedCase {
  id: string;
  text: string;
  entities: ExpectedEntity[];
}

const address = process.env.NER_ADDRESS;
const expectedFile = process.env.NER_EXPECTED;
const skip = !address || !expectedFile ? "NER_ADDRESS and NER_EXPECTED are not set: tests/test_other_languages.py sets them" : false;

function load(): ExpectedCase[] {
  const cases = JSON.parse(readFileSync(expectedFile!, "utf8")) as ExpectedCase[];
  assert.ok(cases.length > 0, `no cases in ${expectedFile}`);
  return cases;
}

/** Every entity slices the text to its own text, and the entities are the Python client's. */
function check(expected: ExpectedCase, entities: Entity[]): void {
  for (const entity of entities) {
    assert.equal(span(expected.text, entity), entity.text, `${expected.id}: ${entity.label} at ${entity.startUtf16}`);
  }
  const got = entities.map((entity) => ({
    text: entity.text,
    label: entity.label,
    start_char: entity.startChar,
    end_char: entity.endChar,
    start_byte: entity.startByte,
    end_byte: entity.endByte,
    start_token: entity.startToken,
    end_token: entity.endToken,
    start_utf16: entity.startUtf16,
    end_utf16: entity.endUtf16,
  }));
  assert.deepEqual(got, expected.entities, expected.id);
}

test("unary entities slice the caller's string", { skip }, async () => {
  const client = createNerClient(address!, tlsFromEnvironment());
  for (const expected of load()) {
    check(expected, await extract(client, expected.text, AbortSignal.timeout(60_000)));
  }
});

test("streamed entities slice the caller's string", { skip }, async () => {
  const client = createNerClient(address!, tlsFromEnvironment());
  const cases = load();
  const documents = cases.map(({ id, text }) => create(DocumentSchema, { id, text }));
  const results = await stream(client, documents, AbortSignal.timeout(60_000));
  assert.deepEqual(
    results.map((result) => [result.id, result.error]),
    cases.map(({ id }) => [id, undefined]),
  );
  results.forEach((result, index) => check(cases[index], result.entities));
});
