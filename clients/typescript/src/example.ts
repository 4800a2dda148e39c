/**
 * Tags one text and a stream of documents with ner.v1.NerService, and prints every entity by
 * slicing the caller's own string with the UTF-16 offsets (start_utf16, end_utf16): JavaScript
 * strings are indexed by UTF-16 code unit.
 *
 *     node dist/src/example.js localhost:50051
 *
 * NER_CA_FILE (and NER_CERT_FILE, NER_KEY_FILE) make it call over TLS (mutual TLS).
 */
import { create } from "@bufbuild/protobuf";
import { DocumentSchema, type Entity } from "./gen/ner/v1/ner_pb.js";
import { createNerClient, extract, span, stream, tlsFromEnvironment } from "./ner.js";

function printEntities(id: string, text: string, entities: Entity[]): void {
  for (const entity of entities) {
    console.log(`${id}\t${entity.label}\t${span(text, entity)}`);
  }
}

async function main(address: string): Promise<void> {
  const client = createNerClient(address, tlsFromEnvironment());
  const signal = AbortSignal.timeout(30_000);

  const text = "🎉 Ada Lovelace met Charles Babbage in London in June 1833.";
  printEntities("text", text, await extract(client, text, signal));

  const documents = [
    create(DocumentSchema, { id: "a", text: "Zoë Ngata flew from Wellington to 東京 on Friday 🇯🇵." }),
    create(DocumentSchema, { id: "b", text: "Toyota opened a plant in Kentucky in 1988 🚗." }),
  ];
  const results = await stream(client, documents, signal);
  results.forEach((result, index) => {
    if (result.error) {
      console.log(`${result.id}\terror ${result.error.code}: ${result.error.message}`);
    } else {
      printEntities(result.id, documents[index].text, result.entities);
    }
  });
}

await main(process.argv[2] ?? "localhost:50051");
